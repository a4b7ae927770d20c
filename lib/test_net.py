"""Evaluation of a network on the test split, and the reports people read.

Views are the first n renderings of each model (00.png, 01.png, ...) with the original test
preprocessing (background 240, centre crop), so two runs give the same numbers. For every number
of views and threshold: IoU per category, the mean over categories, the mean over models, and the
voxel cross-entropy loss. Reports: results.json, results.md (the paper's layout, its numbers
beside ours on ShapeNet), iou_vs_views.png, and reconstructions.png (input views | truth | prediction).
"""
import json
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from keras import ops

from lib.config import CATEGORY_NAMES
from lib.data_io import DataError, warn
from lib.data_process import load_test_views, load_voxels
from lib.paper_results import (PAPER_THRESHOLD, PASCAL3D_CLASSES, PASCAL3D_COLUMNS, PASCAL3D_KAR, PASCAL3D_MEANS,
                               PASCAL3D_RES_GRU_3, RES_GRU_3_BY_CATEGORY, RES_GRU_3_BY_VIEWS, TABLE1)
from lib.output.atomic import atomic_write_text
from lib.layers import voxel_cross_entropy
from lib.output.progress import Progress
from lib.voxel import aggregate, iou, occupied_probability
from models.common import logits_after_views

VIEWS_NOTE = ('views are the first n renderings of each model (00.png, 01.png, ...), test '
              'preprocessing (background 240, centre crop): deterministic')


class Evaluation:
    """Per-model results: category, model id, and for each n views the loss and IoU per threshold."""

    def __init__(self, view_counts, thresholds):
        self.view_counts = list(view_counts)
        self.thresholds = [float(t) for t in thresholds]
        self.categories, self.models = [], []
        self.loss = {n: [] for n in self.view_counts}
        self.iou = {(n, t): [] for n in self.view_counts for t in self.thresholds}
        self.skipped = []          # (synset, model, problem)
        self.examples = []         # a few (synset, model, images, truth, occupancy at max views)

    def summary(self):
        out = {'n_models': len(self.models), 'view_counts': self.view_counts, 'thresholds': self.thresholds,
               'per_category': {}, 'mean_over_categories': {}, 'mean_over_models': {}, 'loss': {},
               'models_per_category': {c: self.categories.count(c) for c in sorted(set(self.categories))},
               'skipped': [{'category': s, 'model': m, 'problem': p} for s, m, p in self.skipped]}
        for n in self.view_counts:
            _, _, out['loss'][str(n)] = aggregate(self.categories, self.loss[n])
            for t in self.thresholds:
                key = f'{n}@{t:g}'
                per_cat, over_cats, over_models = aggregate(self.categories, self.iou[(n, t)])
                for c, v in per_cat.items():
                    out['per_category'].setdefault(c, {})[key] = v
                out['mean_over_categories'][key] = over_cats
                out['mean_over_models'][key] = over_models
        return out


def evaluate(network, cfg, pairs, view_counts=(1, 2, 3, 4, 5), thresholds=(0.4,), batch_size=8,
             n_examples=0, progress=None):
    """Run network on the first max(view_counts) renderings of every (synset, model) pair.
    progress: a label to show a progress bar under (lib.output.progress), or None for none."""
    result = Evaluation(view_counts, thresholds)
    longest = max(view_counts)
    if longest > cfg.TRAIN.NUM_RENDERING:
        raise DataError(f'{longest} views asked, but models have {cfg.TRAIN.NUM_RENDERING} renderings')
    seen_examples = set()

    def load(chunk):
        loaded = []
        for synset, model in chunk:
            try:
                loaded.append((synset, model, load_test_views(cfg, synset, model, longest),
                               load_voxels(cfg, synset, model)))
            except DataError as e:
                warn(f'{e}; model {synset}/{model} skipped')
                result.skipped.append((synset, model, str(e)))
        return loaded

    chunks = [pairs[i:i + batch_size] for i in range(0, len(pairs), batch_size)]
    bar = Progress(len(pairs), progress, enabled=progress is not None)
    with ThreadPoolExecutor(1) as pool:   # decode the next chunk while the network runs
        upcoming = pool.submit(load, chunks[0]) if chunks else None
        for index in range(len(chunks)):
            loaded = upcoming.result()
            upcoming = pool.submit(load, chunks[index + 1]) if index + 1 < len(chunks) else None
            if not loaded:
                bar.update(len(chunks[index]))
                continue
            images = np.stack([x[2] for x in loaded])
            truth = np.stack([x[3] for x in loaded])
            logits = {n: ops.convert_to_numpy(v).astype(np.float32)
                      for n, v in logits_after_views(network, images, view_counts).items()}
            for n in view_counts:
                occupancy = occupied_probability(logits[n])
                loss = voxel_cross_entropy(truth, logits[n], per_sample=True)
                result.loss[n].extend(ops.convert_to_numpy(loss).tolist())
                for t in result.thresholds:
                    result.iou[(n, t)].extend(iou(occupancy >= t, truth).tolist())
            for i, (synset, model, views, _) in enumerate(loaded):
                result.categories.append(synset)
                result.models.append(model)
                if len(result.examples) < n_examples and synset not in seen_examples:
                    seen_examples.add(synset)
                    result.examples.append((synset, model, views, truth[i], occupied_probability(logits[longest][i])))
            bar.update(len(chunks[index]))   # evaluated or skipped
    return result


def mean_shape_baseline(cfg, train_pairs, evaluation, thresholds, train_cfg=None):
    """IoU of predicting the training set's mean occupancy grid for every test model.

    train_cfg: the config whose dataset holds train_pairs, when that is not the evaluated one (a
    network trained on the embedded dataset, evaluated on real models)."""
    grids = []
    for synset, model in train_pairs:
        try:
            grids.append(load_voxels(train_cfg or cfg, synset, model))
        except DataError:
            continue
    if not grids:
        return None
    mean = np.mean(grids, axis=0)
    truth = [load_voxels(cfg, s, m) for s, m in zip(evaluation.categories, evaluation.models)]
    out = {}
    for t in thresholds:
        values = iou(np.broadcast_to(mean >= t, (len(truth),) + mean.shape), np.stack(truth))
        _, over_cats, over_models = aggregate(evaluation.categories, values)
        out[f'{t:g}'] = {'mean_over_categories': over_cats, 'mean_over_models': over_models}
    return out


# ---------------------------------------------------------------------------------------------
# Reports

def _fmt(v):
    return '—' if v is None else f'{v:.3f}'


def results_markdown(summary, meta):
    """The per-category table laid out like the paper's, with its numbers beside ours on ShapeNet."""
    views = summary['view_counts']
    t = PAPER_THRESHOLD if PAPER_THRESHOLD in summary['thresholds'] else summary['thresholds'][0]
    shapenet = meta.get('dataset_kind') == 'shapenet'
    # the paper gives per-category and per-view numbers for Res3D-GRU-3 only (Table 1: 5-view means)
    per_category_paper = shapenet and meta['network'] == 'res_gru_3'
    lines = [f"# Test results: {meta['network']} ({meta.get('paper_name', '')})", '',
             f"- weights: `{meta['weights']}`", f"- dataset: {meta['dataset']} ({summary['n_models']} {meta.get('split', 'test')}-split models"
             + (f", {len(summary['skipped'])} skipped" if summary['skipped'] else '') + ')',
             f"- {meta.get('views_note', VIEWS_NOTE)}", f"- command: `{meta['command']}`", f"- date: {meta['date']}", '']
    if meta.get('dataset_kind') == 'pascal3d':
        lines += pascal3d_table(summary)
    lines += [f'## IoU per category at threshold {t:g}', '']
    header = '| category | models | ' + ' | '.join(f'{n} view{"s" if n > 1 else ""}' for n in views)
    if per_category_paper:
        header += ' | paper 1 view | paper 5 views'
    lines += [header + ' |', '|' + '---|' * (2 + len(views) + (2 if per_category_paper else 0))]
    for synset, values in sorted(summary['per_category'].items()):
        name = CATEGORY_NAMES.get(synset, synset)
        row = f"| {name} | {summary['models_per_category'][synset]} | " + ' | '.join(
            _fmt(values.get(f'{n}@{t:g}')) for n in views)
        if per_category_paper:
            paper = RES_GRU_3_BY_CATEGORY.get(synset)
            row += ' | ' + (' | '.join(_fmt(p) for p in paper) if paper else '— | —')
        lines.append(row + ' |')
    for label, key in (('mean over categories', 'mean_over_categories'), ('mean over models', 'mean_over_models')):
        row = f'| **{label}** | {summary["n_models"]} | ' + ' | '.join(
            f"**{_fmt(summary[key].get(f'{n}@{t:g}'))}**" for n in views)
        if per_category_paper and key == 'mean_over_categories':
            row += f' | {_fmt(RES_GRU_3_BY_VIEWS[1])} | {_fmt(RES_GRU_3_BY_VIEWS[5])}'
        elif per_category_paper:
            row += ' | | '
        lines.append(row + ' |')
    lines += ['', '## Mean IoU over categories by threshold', '',
              '| threshold | ' + ' | '.join(f'{n} view{"s" if n > 1 else ""}' for n in views) + ' |',
              '|' + '---|' * (1 + len(views))]
    for th in summary['thresholds']:
        lines.append(f'| {th:g} | ' + ' | '.join(_fmt(summary['mean_over_categories'][f'{n}@{th:g}']) for n in views) + ' |')
    lines += ['', '## Loss (voxel cross-entropy, mean over models)', '',
              '| ' + ' | '.join(f'{n} view{"s" if n > 1 else ""}' for n in views) + ' |', '|' + '---|' * len(views),
              '| ' + ' | '.join(f"{summary['loss'][str(n)]:.4f}" for n in views) + ' |']
    if shapenet and meta['network'] in TABLE1:
        paper = TABLE1[meta['network']]
        lines += ['', f"Paper, {paper['paper_name']} at 5 views: loss {paper['loss']:.3f}, IoU {paper['iou']:.3f}."]
    baseline = meta.get('baseline')
    if baseline:
        source = f" of {meta['baseline_data']}" if meta.get('baseline_data') else ''
        lines += ['', f'## Baseline: the mean occupancy grid of the training split{source}', '',
                  '| threshold | mean over categories | mean over models |', '|---|---|---|']
        for th, b in baseline.items():
            lines.append(f"| {th} | {_fmt(b['mean_over_categories'])} | {_fmt(b['mean_over_models'])} |")
    if summary['skipped']:
        lines += ['', '## Skipped models', ''] + [f"- {s['category']}/{s['model']}: {s['problem']}"
                                                 for s in summary['skipped']]
    return '\n'.join(lines) + '\n'


def pascal3d_table(summary):
    """The paper's PASCAL 3D+ table (IoU per class, single view) with our row under Kar et al.'s and
    the paper's, at the paper's threshold when it was evaluated (else the first one)."""
    t = PAPER_THRESHOLD if PAPER_THRESHOLD in summary['thresholds'] else summary['thresholds'][0]
    ours = {c: v.get(f'1@{t:g}') for c, v in summary['per_category'].items()}
    present = [ours[c] for c in PASCAL3D_CLASSES if ours.get(c) is not None]
    mean = sum(present) / len(present) if present else None

    def row(name, values, mean_value):
        return f'| {name} | ' + ' | '.join(_fmt(values.get(c)) for c in PASCAL3D_CLASSES) + f' | {_fmt(mean_value)} |'
    lines = [f'## PASCAL 3D+: single-image IoU per class beside the paper (ours at threshold {t:g})', '',
             '| method | ' + ' | '.join(PASCAL3D_COLUMNS) + ' | mean |', '|' + '---|' * (len(PASCAL3D_COLUMNS) + 2),
             row('Kar et al. (CVPR 2015)', PASCAL3D_KAR, PASCAL3D_MEANS['kar']),
             row('Res3D-GRU-3 (paper, fine-tuned on PASCAL 3D+)', PASCAL3D_RES_GRU_3, PASCAL3D_MEANS['res_gru_3']),
             row(f"**ours** ({summary['n_models']} objects)", ours, mean), '',
             'The paper\'s means are as printed (the plain means of its ten columns are 0.309 and 0.562); ours is the '
             f'mean over the {len(present)} classes evaluated.', '']
    return lines


def plot_iou_vs_views(path, summary, meta):
    from lib.output.figures import new_figure, save_figure
    views = summary['view_counts']
    fig, ax = new_figure(figsize=(5.5, 4), dpi=110)
    for t in summary['thresholds']:
        ax.plot(views, [summary['mean_over_categories'][f'{n}@{t:g}'] for n in views], 'o-', label=f'ours, t = {t:g}')
    if meta.get('dataset_kind') == 'shapenet':
        ax.plot(list(RES_GRU_3_BY_VIEWS), list(RES_GRU_3_BY_VIEWS.values()), 's--', color='grey',
                label='paper Res3D-GRU-3, t = 0.4')
    baseline = meta.get('baseline')
    if baseline and f'{PAPER_THRESHOLD:g}' in baseline:
        ax.axhline(baseline[f'{PAPER_THRESHOLD:g}']['mean_over_categories'], color='red', ls=':',
                   label='mean training shape, t = 0.4')
    ax.set_xlabel('number of views')
    ax.set_ylabel('mean IoU over categories')
    ax.set_xticks(sorted(set(views) | (set(RES_GRU_3_BY_VIEWS) if meta.get('dataset_kind') == 'shapenet' else set())))
    ax.set_title(f"{meta['network']} on {meta['dataset_short']}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_reconstructions(path, examples, threshold):
    """One row per example: the input views | ground truth | prediction (voxel pictures)."""
    from lib.output.figures import new_figure, save_figure
    from lib.rendering.render import render_voxel_preview
    if not examples:
        return None
    n_views = max(len(e[2]) for e in examples)
    cols = n_views + 2
    fig, axes = new_figure(len(examples), cols, figsize=(1.6 * cols, 1.7 * len(examples)), dpi=90, squeeze=False)
    for row, (synset, model, views, truth, occupancy) in enumerate(examples):
        pictures = list(views) + [render_voxel_preview(truth), render_voxel_preview(occupancy >= threshold)]
        titles = [f'view {i + 1}' for i in range(len(views))] + ['truth', f'prediction (IoU {float(iou(occupancy >= threshold, truth)):.2f})']
        for col in range(cols):
            ax = axes[row, col]
            ax.axis('off')
            if col < len(pictures):
                ax.imshow(pictures[col])
                ax.set_title(titles[col], fontsize=7)
        axes[row, 0].text(-0.15, 0.5, CATEGORY_NAMES.get(synset, synset), transform=axes[row, 0].transAxes,
                          rotation=90, va='center', ha='right', fontsize=8)
    return save_figure(fig, path)


def write_reports(out_dir, evaluation, meta):
    """results.json, results.md, iou_vs_views.png, reconstructions.png; returns the markdown."""
    os.makedirs(out_dir, exist_ok=True)
    summary = evaluation.summary()
    atomic_write_text(os.path.join(out_dir, 'results.json'), json.dumps({'meta': meta, **summary}, indent=1))
    markdown = results_markdown(summary, meta)
    atomic_write_text(os.path.join(out_dir, 'results.md'), markdown)
    plot_iou_vs_views(os.path.join(out_dir, 'iou_vs_views.png'), summary, meta)
    t = PAPER_THRESHOLD if PAPER_THRESHOLD in summary['thresholds'] else summary['thresholds'][0]
    plot_reconstructions(os.path.join(out_dir, 'reconstructions.png'), evaluation.examples, t)
    return markdown
