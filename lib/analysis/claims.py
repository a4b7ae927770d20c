"""The paper's Table 1 claims, checked seed by seed on our runs: holds / does not hold / too close to call.

Runs of one seed share the data order and the initial seed, so each claim is read from paired
differences d_s = IoU(better network, seed s) - IoU(worse network, seed s) at 5 views (the views claim:
IoU at 5 views minus IoU at 1 view of the same run). The rule (RULE below, printed with every table):

- holds:          mean(d) > 0, mean(d) > spread(d), and d_s > 0 in at least two thirds of the seeds;
- does not hold:  the mirror image: mean(d) < 0, -mean(d) > spread(d), d_s < 0 in two thirds of the seeds;
- too close to call: anything else, and always with fewer than two seeds (no spread to compare with).

spread(d) is the sample standard deviation of the paired differences over seeds (ddof 1). Nothing in
the rule refers to the paper's numbers: it is applied the same way whatever the outcome.
"""
import math

import numpy as np

from lib.paper_results import TABLE1

HOLDS, DOES_NOT_HOLD, TOO_CLOSE = 'holds', 'does not hold', 'too close to call'
RULE = ('holds if the paired mean difference is > 0, larger than its spread (sample standard deviation '
        'over seeds) and positive in at least two thirds of the seeds (2 of 3); does not hold if the same '
        'is true of the reversed difference; too close to call otherwise, and always with fewer than 2 seeds')

# (claim, better network, worse network): the orderings of the paper's Table 1 (section 5.2)
ORDERINGS = [
    ('residual networks beat the simple ones', 'res_gru_3', 'gru_3'),
    ('GRU beats LSTM (3x3x3 kernel)', 'gru_3', 'lstm_3'),
    ('GRU beats LSTM (1x1x1 kernel)', 'gru_1', 'lstm_1'),
    ('a 3x3x3 recurrent kernel beats 1x1x1 (GRU)', 'gru_3', 'gru_1'),
    ('a 3x3x3 recurrent kernel beats 1x1x1 (LSTM)', 'lstm_3', 'lstm_1'),
]
VIEWS_CLAIM = 'IoU rises with the number of views'


def paired_verdict(differences):
    """(verdict, reason) for the paired differences of one claim (one value per seed)."""
    d = np.asarray(differences, float)
    n = len(d)
    if n < 2:
        return TOO_CLOSE, 'one seed: no spread to compare with yet'
    mean, spread = float(d.mean()), float(d.std(ddof=1))
    needed = math.ceil(2 * n / 3)
    positive, negative = int(np.sum(d > 0)), int(np.sum(d < 0))
    if mean > 0 and mean > spread and positive >= needed:
        return HOLDS, f'mean {mean:.3f} > spread {spread:.3f}; positive in {positive} of {n} seeds'
    if mean < 0 and -mean > spread and negative >= needed:
        return DOES_NOT_HOLD, f'mean {mean:.3f}, |mean| > spread {spread:.3f}; negative in {negative} of {n} seeds'
    if abs(mean) <= spread:
        return TOO_CLOSE, f'|mean| {abs(mean):.3f} <= spread {spread:.3f}'
    return TOO_CLOSE, f'same sign in only {max(positive, negative)} of {n} seeds (needs {needed})'


def _claim(claim, comparison, by_seed):
    seeds = sorted(by_seed)
    d = [by_seed[s] for s in seeds]
    verdict, reason = paired_verdict(d)
    return {'claim': claim, 'comparison': comparison, 'seeds': seeds, 'differences': d,
            'mean': float(np.mean(d)), 'spread': float(np.std(d, ddof=1)) if len(d) > 1 else None,
            'verdict': verdict, 'reason': reason}


def check_claims(runs):
    """The claims on the runs {net: {seed: {'iou': [IoU at 1..5 views], ...}}}: a list of dicts with
    claim, comparison, seeds, differences (per seed), mean, spread, verdict, reason. A claim whose two
    networks share no seed is left out."""
    checks = []
    for claim, better, worse in ORDERINGS:
        a, b = runs.get(better, {}), runs.get(worse, {})
        common = sorted(set(a) & set(b))
        if common:
            checks.append(_claim(claim, f"{TABLE1[better]['paper_name']} - {TABLE1[worse]['paper_name']}",
                                 {s: a[s]['iou'][4] - b[s]['iou'][4] for s in common}))
    for net in TABLE1:   # the paper's row order
        if runs.get(net):
            check = _claim(VIEWS_CLAIM, f"{TABLE1[net]['paper_name']}: 5 views - 1 view",
                           {s: r['iou'][4] - r['iou'][0] for s, r in runs[net].items()})
            check['falls'] = _falling_steps(runs[net])
            checks.append(check)
    return checks


def _falling_steps(net_runs):
    """The steps n -> n+1 views where the mean curve over seeds falls (what 5 - 1 views cannot show)."""
    mean = np.mean([r['iou'] for r in net_runs.values()], axis=0)
    return [f'{n + 1}->{n + 2} views by {mean[n] - mean[n + 1]:.3f}'
            for n in range(len(mean) - 1) if mean[n + 1] < mean[n] - 0.0005]   # below 0.0005: 3 decimals show no fall
