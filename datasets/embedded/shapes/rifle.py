"""Rifles (ShapeNet synset 04090263).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""

from datasets.embedded.primitives import box, cylinder, plate, rotation, tube
from datasets.embedded.shapes.common import uniform, ROT_Z90, DARK

SYNSET = '04090263'


def build_v1(rng):
    parts = []
    L = 1.0
    rec_len, rec_h, width = L * uniform(rng, 0.18, 0.28), L * uniform(rng, 0.055, 0.085), L * uniform(rng, 0.035, 0.05)
    rec_x0 = -L * uniform(rng, 0.12, 0.2)            # rear of the receiver
    rec_x1 = rec_x0 + rec_len
    parts.append(box((rec_len, rec_h, width), ((rec_x0 + rec_x1) / 2, 0, 0), base_at_bottom=True))
    barrel_r = L * uniform(rng, 0.011, 0.016)
    muzzle = L / 2
    bore_y = rec_h * uniform(rng, 0.55, 0.75)
    parts.append(tube([rec_x1, bore_y, 0], [muzzle, bore_y, 0], barrel_r, segments=10))
    if rng.random() < 0.75:   # handguard around the barrel
        hg_len = (muzzle - rec_x1) * uniform(rng, 0.35, 0.7)
        parts.append(box((hg_len, rec_h * uniform(rng, 0.6, 0.9), width * 0.95), (rec_x1 + hg_len / 2, bore_y - rec_h * 0.35, 0),
                         base_at_bottom=False))
    # stock: a side profile from the receiver's rear to the butt
    butt_x = -L / 2
    drop = rec_h * uniform(rng, 0.0, 0.8)
    butt_h = L * uniform(rng, 0.09, 0.14)
    stock = [(rec_x0 + 0.01, rec_h), (rec_x0 + 0.01, rec_h * 0.1), (butt_x, rec_h - drop - butt_h),
             (butt_x, rec_h - drop)]
    parts.append(plate(stock, width * 0.9))
    # pistol grip and trigger guard
    grip_rot = rotation('z', -uniform(rng, 10, 25))
    parts.append(box((L * 0.04, L * 0.1, width * 0.85), (rec_x0 + rec_len * 0.25, 0.005, 0), grip_rot @ rotation('z', 180),
                     base_at_bottom=True))
    parts.append(box((L * 0.06, 0.008, width * 0.5), (rec_x0 + rec_len * 0.45, -L * 0.035, 0)))
    if rng.random() < 0.7:   # magazine
        mag_rot = rotation('z', uniform(rng, -15, 5)) @ rotation('z', 180)
        parts.append(box((L * 0.045, L * uniform(rng, 0.08, 0.16), width * 0.7), (rec_x0 + rec_len * 0.7, 0.005, 0), mag_rot,
                         base_at_bottom=True, albedo=DARK))
    if rng.random() < 0.5:   # scope on two rings
        sr = L * uniform(rng, 0.015, 0.022)
        sl = rec_len * uniform(rng, 1.0, 1.4)
        sx = rec_x0 + rec_len * 0.1
        sy = rec_h + sr + 0.012
        parts.append(cylinder(sr, sl, (sx, sy, 0), ROT_Z90, segments=12, albedo=DARK))
        # objective bell at the front
        parts.append(cylinder(sr, 0.06, (sx + sl - 0.06, sy, 0), ROT_Z90, top_radius=sr * 1.5, segments=12,
                              albedo=DARK))
        for fx in (0.25, 0.75):
            parts.append(box((0.015, 0.015, width * 0.6), (sx + sl * fx, rec_h, 0), base_at_bottom=True))
    else:   # iron sights
        parts.append(box((0.01, 0.025, 0.008), (muzzle - 0.03, bore_y + barrel_r, 0), base_at_bottom=True))
    if rng.random() < 0.15:   # bipod
        for sz in (-1, 1):
            parts.append(tube([muzzle - 0.2, bore_y, 0], [muzzle - 0.15, bore_y - 0.15, sz * 0.05], 0.005, segments=6))
    return parts


# ----------------------------------------------------------------------------------------------------
# version 2: assault rifles, sniper rifles with scopes, bolt-action hunting rifles, shotguns (pump and
# double-barrel), short carbines / sub-machine guns, light machine guns on bipods, muskets with full
# wooden stocks; each part tagged with its role.

from datasets.embedded.shapes.common import tagged  # noqa: E402

KINDS = ('assault', 'sniper', 'hunting', 'shotgun', 'carbine', 'lmg', 'musket')
KIND_P = (0.34, 0.18, 0.12, 0.13, 0.1, 0.07, 0.06)

MATERIALS = {
    'body': {'black': 0.55, 'grey': 0.25, 'metal': 0.12, 'paint': 0.08},
    'stock': {'black': 0.42, 'wood': 0.36, 'grey': 0.14, 'plastic': 0.08},
    'grip': {'=stock': 0.6, '=body': 0.25, 'black': 0.15},
    'handguard': {'=stock': 0.45, '=body': 0.4, 'black': 0.15},
    'barrel': {'black': 0.45, 'metal': 0.35, 'grey': 0.2},
    'magazine': {'=body': 0.5, 'black': 0.35, 'grey': 0.15},
    'scope': {'black': 0.7, 'grey': 0.2, 'metal': 0.1},
}


def build(rng):
    kind = str(rng.choice(KINDS, p=KIND_P))
    L = 1.0
    body, stock, grip, hand, barrel, mag, scope = [], [], [], [], [], [], []
    width = L * uniform(rng, 0.03, 0.045)
    rec_h = L * {'carbine': uniform(rng, 0.07, 0.1), 'lmg': uniform(rng, 0.07, 0.09), 'shotgun': uniform(rng, 0.05, 0.065),
                 'musket': uniform(rng, 0.04, 0.055)}.get(kind, uniform(rng, 0.055, 0.08))
    rec_len = L * {'carbine': uniform(rng, 0.28, 0.38), 'musket': uniform(rng, 0.12, 0.16),
                   'lmg': uniform(rng, 0.25, 0.32)}.get(kind, uniform(rng, 0.18, 0.26))
    stock_len = L * {'carbine': uniform(rng, 0.12, 0.3), 'musket': uniform(rng, 0.3, 0.36), 'sniper': uniform(rng, 0.25, 0.32),
                     'hunting': uniform(rng, 0.28, 0.34), 'shotgun': uniform(rng, 0.28, 0.34)}.get(kind, uniform(rng, 0.2, 0.3))
    butt_x = -L / 2
    rec_x0 = butt_x + stock_len
    rec_x1 = rec_x0 + rec_len
    muzzle = L / 2
    bore_y = rec_h * uniform(rng, 0.6, 0.8)
    body.append(box((rec_len, rec_h, width), ((rec_x0 + rec_x1) / 2, 0, 0), base_at_bottom=True))
    if kind in ('assault', 'carbine', 'lmg') and rng.random() < 0.6:   # top rail / carry handle
        body.append(box((rec_len * 0.8, rec_h * uniform(rng, 0.12, 0.35), width * 0.6), ((rec_x0 + rec_x1) / 2, rec_h, 0),
                        base_at_bottom=True))
    # barrel(s)
    br = L * {'shotgun': uniform(rng, 0.012, 0.016), 'lmg': uniform(rng, 0.01, 0.014)}.get(kind, uniform(rng, 0.007, 0.011))
    if kind == 'shotgun' and rng.random() < 0.4:   # double barrel side by side
        for sz in (-1, 1):
            barrel.append(tube([rec_x1, bore_y, sz * br], [muzzle, bore_y, sz * br], br, segments=10))
    else:
        barrel.append(tube([rec_x1, bore_y, 0], [muzzle, bore_y, 0], br, segments=10))
        if kind == 'shotgun':   # magazine tube under the barrel
            barrel.append(tube([rec_x1, bore_y - br * 1.9, 0], [muzzle - L * 0.04, bore_y - br * 1.9, 0], br * 0.85, segments=10))
    if kind in ('assault', 'sniper', 'lmg', 'carbine') and rng.random() < 0.6:   # muzzle device
        barrel.append(cylinder(br * 1.6, L * 0.04, (muzzle - L * 0.04, bore_y, 0), ROT_Z90, segments=10))
    # forend / handguard
    free = muzzle - rec_x1
    if kind == 'musket':   # full-length wooden stock under the barrel
        hand.append(box((free * 0.85, rec_h * 0.8, width * 0.9), (rec_x1 + free * 0.425, bore_y - rec_h * 0.2, 0)))
    elif kind == 'shotgun':
        fl = free * uniform(rng, 0.25, 0.4)
        fx = rec_x1 + free * uniform(rng, 0.05, 0.2)
        hand.append(box((fl, rec_h * 0.75, width * 1.05), (fx + fl / 2, bore_y - br * 1.5, 0)))
    else:
        frac = {'hunting': uniform(rng, 0.45, 0.7), 'sniper': uniform(rng, 0.3, 0.6), 'carbine': uniform(rng, 0.4, 0.8),
                'lmg': uniform(rng, 0.25, 0.45)}.get(kind, uniform(rng, 0.35, 0.65))
        hl = free * frac
        hh = rec_h * uniform(rng, 0.6, 0.95)
        hand.append(box((hl, hh, width * uniform(rng, 0.9, 1.15)), (rec_x1 + hl / 2, bore_y - hh * 0.45, 0),
                        top_scale=(1.0, 0.9)))
    # stock
    drop = rec_h * uniform(rng, 0.2, 0.9)
    butt_h = L * {'carbine': uniform(rng, 0.06, 0.1), 'musket': uniform(rng, 0.08, 0.11)}.get(kind, uniform(rng, 0.1, 0.14))
    integrated = kind in ('hunting', 'shotgun', 'musket') or (kind == 'sniper' and rng.random() < 0.5)
    if integrated:   # one wooden piece: butt, wrist (grip) and the receiver's bed
        wrist_x = rec_x0 + L * 0.02
        stock.append(plate([(wrist_x, rec_h * 0.95), (wrist_x, -rec_h * 0.55), (butt_x + L * 0.12, rec_h - drop - butt_h * 0.95),
                            (butt_x, rec_h - drop - butt_h), (butt_x, rec_h - drop * 0.6), (butt_x + L * 0.12, rec_h * 0.85)],
                           width * 0.95))
        stock.append(box((rec_len + L * 0.02, rec_h * 0.5, width * 1.02), ((rec_x0 + rec_x1) / 2, rec_h * 0.1, 0)))
        if kind == 'sniper':   # thumbhole / pistol grip under the wrist
            grip.append(box((L * 0.04, L * 0.08, width * 0.9), (rec_x0 - L * 0.005, 0.0, 0), rotation('z', 160),
                            base_at_bottom=True))
    else:
        skeleton = kind in ('assault', 'carbine') and rng.random() < 0.4
        if skeleton:   # collapsible tube stock with a butt plate
            stock.append(tube([rec_x0, bore_y, 0], [butt_x + L * 0.03, bore_y, 0], rec_h * 0.18, segments=10))
            stock.append(box((L * 0.1, butt_h, width * 0.95), (butt_x + L * 0.05, rec_h - drop * 0.3, 0),
                             top_scale=(0.8, 1.0), base_at_bottom=False))
            stock.append(box((L * 0.1, rec_h * 0.3, width * 0.8), (rec_x0 - L * 0.05, bore_y, 0), top_scale=(0.5, 1.0)))
        else:
            stock.append(plate([(rec_x0 + 0.01, rec_h), (rec_x0 + 0.01, rec_h * 0.15), (butt_x, rec_h - drop - butt_h),
                                (butt_x, rec_h - drop * 0.8)], width * 0.9))
        # pistol grip
        gl = L * uniform(rng, 0.08, 0.12)
        grip.append(box((L * 0.04, gl, width * 0.85), (rec_x0 + rec_len * uniform(rng, 0.15, 0.3), 0.005, 0),
                        rotation('z', 180 - uniform(rng, 10, 25)), base_at_bottom=True))
    # trigger guard
    body.append(box((L * 0.06, 0.008, width * 0.5), (rec_x0 + rec_len * 0.4, -L * 0.03, 0)))
    # magazine
    if kind in ('assault', 'carbine', 'lmg', 'sniper') or (kind == 'hunting' and rng.random() < 0.3):
        ml = L * {'assault': uniform(rng, 0.1, 0.17), 'carbine': uniform(rng, 0.08, 0.15), 'lmg': uniform(rng, 0.06, 0.1),
                  'sniper': uniform(rng, 0.04, 0.08)}.get(kind, 0.04)
        mx = rec_x0 + rec_len * uniform(rng, 0.55, 0.75)
        if kind == 'lmg' and rng.random() < 0.5:   # box / drum magazine
            mag.append(box((L * 0.09, ml, width * 2.2), (mx, 0.005, 0), rotation('z', 180), base_at_bottom=True))
        else:
            curve = uniform(rng, -25, 0) if kind in ('assault', 'carbine') else uniform(rng, -8, 0)
            mag.append(box((L * 0.045, ml * 0.55, width * 0.7), (mx, 0.005, 0), rotation('z', 180), base_at_bottom=True))
            mag.append(box((L * 0.045, ml * 0.5, width * 0.7), (mx + 0.01 * curve / 25, -ml * 0.5, 0),
                           rotation('z', 180 + curve), base_at_bottom=True))
    # sights / scope
    has_scope = kind == 'sniper' or (kind in ('hunting', 'assault', 'carbine') and rng.random() < {'hunting': 0.6}.get(kind, 0.3))
    if has_scope:
        big = kind in ('sniper', 'hunting')
        sr = L * (uniform(rng, 0.014, 0.022) if big else uniform(rng, 0.012, 0.018))
        sl = L * (uniform(rng, 0.22, 0.34) if big else uniform(rng, 0.1, 0.16))
        sx = rec_x0 + rec_len * uniform(rng, 0.0, 0.3)
        sy = rec_h + sr + L * 0.012
        scope.append(cylinder(sr, sl, (sx, sy, 0), ROT_Z90, segments=12))
        scope.append(cylinder(sr, L * 0.05, (sx + sl - L * 0.05, sy, 0), ROT_Z90, top_radius=sr * 1.5, segments=12))
        scope.append(cylinder(sr * 1.25, L * 0.035, (sx, sy, 0), ROT_Z90, top_radius=sr, segments=12))
        scope.append(cylinder(sr * 0.5, sr * 1.4, (sx + sl * 0.5, sy, 0), segments=8))   # turret
        for fx in (0.25, 0.75):
            scope.append(box((0.015, L * 0.014, width * 0.6), (sx + sl * fx, rec_h, 0), base_at_bottom=True))
    else:
        body.append(box((0.012, L * 0.022, 0.008), (muzzle - L * 0.04, bore_y + br, 0), base_at_bottom=True))
        if kind in ('assault', 'carbine'):
            body.append(box((0.02, L * 0.045, 0.012), (rec_x1 + free * 0.7, bore_y, 0), base_at_bottom=True))
    if kind == 'lmg' or (kind == 'sniper' and rng.random() < 0.45):   # bipod
        bx = muzzle - free * uniform(rng, 0.3, 0.55)
        for sz in (-1, 1):
            barrel.append(tube([bx, bore_y, 0], [bx + L * 0.05, bore_y - L * 0.14, sz * L * 0.045], 0.005, segments=6))
    if kind == 'lmg' and rng.random() < 0.5:   # carrying handle over the barrel
        body.append(box((L * 0.08, L * 0.012, width * 0.4), (rec_x1 + L * 0.05, bore_y + L * 0.05, 0)))
    return (tagged('body', *body) + tagged('stock', *stock) + tagged('grip', *grip) + tagged('handguard', *hand) +
            tagged('barrel', *barrel) + tagged('magazine', *mag) + tagged('scope', *scope))
