"""The numbers the paper reports (REFERENCE.md), shown beside ours in every report."""

# Table 1: ShapeNet test set, 5 views, IoU at threshold 0.4; loss is the voxel cross-entropy.
TABLE1 = {
    'lstm_1': {'paper_name': '3D-LSTM-1', 'loss': 0.116, 'iou': 0.499},
    'gru_1': {'paper_name': '3D-GRU-1', 'loss': 0.105, 'iou': 0.540},
    'lstm_3': {'paper_name': '3D-LSTM-3', 'loss': 0.106, 'iou': 0.539},
    'gru_3': {'paper_name': '3D-GRU-3', 'loss': 0.091, 'iou': 0.592},
    'res_gru_3': {'paper_name': 'Res3D-GRU-3', 'loss': 0.080, 'iou': 0.634},
}

# Res3D-GRU-3 mean IoU (t = 0.4) by number of views.
RES_GRU_3_BY_VIEWS = {1: 0.560, 2: 0.603, 3: 0.617, 4: 0.625, 5: 0.634}

# Res3D-GRU-3 per-category IoU (t = 0.4) with 1 and 5 views, by synset.
RES_GRU_3_BY_CATEGORY = {
    '02691156': (0.513, 0.561), '02828884': (0.421, 0.527), '02933112': (0.716, 0.772),
    '02958343': (0.798, 0.836), '03001627': (0.466, 0.550), '03211117': (0.468, 0.565),
    '03636649': (0.381, 0.421), '03691459': (0.662, 0.717), '04090263': (0.544, 0.600),
    '04256520': (0.628, 0.706), '04379243': (0.513, 0.580), '04401088': (0.661, 0.754),
    '04530566': (0.513, 0.610),
}
PAPER_THRESHOLD = 0.4

# The paper's real-image table: PASCAL 3D+ single-image IoU per class (objects not truncated or
# occluded; Res3D-GRU-3 fine-tuned on PASCAL 3D+), Kar et al. (CVPR 2015) beside it, in the table's
# column order (aero, bike, boat, bus, car, chair, mbike, sofa, train, tv).
PASCAL3D_CLASSES = ('aeroplane', 'bicycle', 'boat', 'bus', 'car', 'chair', 'motorbike', 'sofa', 'train', 'tvmonitor')
PASCAL3D_COLUMNS = ('aero', 'bike', 'boat', 'bus', 'car', 'chair', 'mbike', 'sofa', 'train', 'tv')
PASCAL3D_KAR = dict(zip(PASCAL3D_CLASSES, (0.298, 0.144, 0.188, 0.501, 0.472, 0.234, 0.361, 0.149, 0.249, 0.492)))
PASCAL3D_RES_GRU_3 = dict(zip(PASCAL3D_CLASSES, (0.544, 0.499, 0.560, 0.816, 0.699, 0.280, 0.649, 0.332, 0.672, 0.574)))
PASCAL3D_MEANS = {'kar': 0.318, 'res_gru_3': 0.571}
