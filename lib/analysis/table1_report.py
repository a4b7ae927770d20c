"""Table 1's results file and its reports: <stem>.json (every finished run, by network and seed),
<stem>.md (the tables beside the paper's and the claims) and <stem>_views.png.

The json is the record: a later comparison adds its seeds to it (results.add_runs), and the
markdown and the plot are redrawn from it, so the tables always show every seed finished so far.
"""
import json
import os

import numpy as np

from lib.analysis.claims import RULE, check_claims
from lib.output.atomic import atomic_write_text
from lib.config import CATEGORY_NAMES
from lib.paper_results import RES_GRU_3_BY_VIEWS, TABLE1

THRESHOLD = 0.4
NETWORK_ORDER = list(TABLE1)   # the paper's row order: lstm_1, gru_1, lstm_3, gru_3, res_gru_3
FORMAT = 2                     # format 1: the first table1.json, a list per network (not appendable)


class ResultsError(ValueError):
    """A results file this comparison cannot add to (another dataset, config or format)."""


def paths(results_dir, stem):
    return {kind: os.path.join(results_dir, name) for kind, name in
            (('json', f'{stem}.json'), ('md', f'{stem}.md'), ('png', f'{stem}_views.png'))}


def load(path, protocol, data):
    """The results of `path` to add to, or a new empty one; refused if made on other data."""
    fresh = {'format': FORMAT, 'protocol': protocol, 'threshold': THRESHOLD, 'data': data, 'runs': {}}
    if not os.path.exists(path):
        return fresh
    with open(path) as f:
        results = json.load(f)
    if results.get('format') != FORMAT:
        raise ResultsError(f'{path} is an earlier results format that cannot be added to; '
                           'give another results folder (--results)')
    for key, value in (('protocol', protocol), ('data', data)):
        if results.get(key) != value:
            raise ResultsError(f'{path} holds runs with {key} {results.get(key)!r}, this comparison asks for '
                               f'{value!r}: use the same {key} or another results folder (--results)')
    return results


def get_run(results, net, seed):
    return results['runs'].get(net, {}).get(str(seed))


def add_run(results, net, seed, record):
    """Add one run's record; a run of the same network made with another config is refused."""
    for other_seed, other in results['runs'].get(net, {}).items():
        if other_seed != str(seed) and other.get('config_sha') != record.get('config_sha'):
            raise ResultsError(f'{TABLE1[net]["paper_name"]} seed {other_seed} was made with another config '
                               f'({other.get("config_sha")} vs {record.get("config_sha")}): runs of different '
                               'configs do not average; use another results folder (--results)')
    results['runs'].setdefault(net, {})[str(seed)] = record


def read_validation(path):
    """{'iteration': [...], 'iou': [...]} of a run's validation.csv (the last record of an iteration
    wins: a resumed run appends), or None without one."""
    if not os.path.exists(path):
        return None
    import csv
    with open(path) as f:
        rows = {int(r['iteration']): float(r['iou']) for r in csv.DictReader(f)}
    return {'iteration': sorted(rows), 'iou': [rows[i] for i in sorted(rows)]} if rows else None


def record_from_results(test_json, real_eval_json=None, validation_csv=None, **extra):
    """A run's record from its test results.json (and the real-eval one): IoU at 1..5 views and
    loss at 1..5 views; the test split averages over categories (as Table 1), real-eval over models
    (7 models, 4 of them chairs: a mean over categories would weigh one airplane like 4 chairs); and
    its validation IoU during training, to see whether it had flattened."""
    with open(test_json) as f:
        r = json.load(f)
    record = {'iou': [r['mean_over_categories'][f'{n}@{THRESHOLD:g}'] for n in range(1, 6)],
              'loss': [r['loss'][str(n)] for n in range(1, 6)],
              'per_category': {c: v[f'5@{THRESHOLD:g}'] for c, v in r['per_category'].items()},
              'dataset': r['meta']['dataset'], 'n_models': r['n_models'], **extra}
    validation = read_validation(validation_csv) if validation_csv else None
    if validation:
        record['validation'] = validation
    if real_eval_json:
        with open(real_eval_json) as f:
            e = json.load(f)
        record['real_eval'] = {'iou': [e['mean_over_models'][f'{n}@{THRESHOLD:g}'] for n in range(1, 6)],
                               'loss': [e['loss'][str(n)] for n in range(1, 6)],
                               'dataset': e['meta']['dataset'], 'n_models': e['n_models']}
    return record


def _runs_of(results, part=None):
    """{net: {seed (int): {'iou': [...], 'loss': [...]}}} of the test split, or of part 'real_eval'."""
    out = {}
    for net in NETWORK_ORDER:
        for seed, record in results['runs'].get(net, {}).items():
            row = record if part is None else record.get(part)
            if row is not None:
                out.setdefault(net, {})[int(seed)] = row
    return out


def signed(x):
    """+0.012 / -0.012, and +0.000 for a value that rounds to zero (never -0.000)."""
    return f'{round(float(x), 3) + 0.0:+.3f}'


def mean_spread(values):
    """'mean ± sample standard deviation' over seeds (one seed: the value alone)."""
    v = np.asarray(values, float)
    return f'{v[0]:.3f}' if len(v) == 1 else f'{v.mean():.3f} ± {v.std(ddof=1):.3f}'


def _table(runs, with_paper):
    head = '| network | seeds | loss (5 views) | IoU 1 view | 2 views | 3 views | 4 views | 5 views |'
    rule = '|---|---|---|---|---|---|---|---|'
    if with_paper:
        head, rule = head + ' loss (paper) | IoU (paper, 5 views) |', rule + '---|---|'
    lines = [head, rule]
    for net, by_seed in runs.items():
        rows = [by_seed[s] for s in sorted(by_seed)]
        cells = [TABLE1[net]['paper_name'], ','.join(str(s) for s in sorted(by_seed)),
                 mean_spread([r['loss'][4] for r in rows])]
        cells += [mean_spread([r['iou'][n] for r in rows]) for n in range(5)]
        if with_paper:
            cells += [f"{TABLE1[net]['loss']:.3f}", f"{TABLE1[net]['iou']:.3f}"]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines


def _span(runs):
    """(lowest, highest) network of the 5-view IoU means, and their difference."""
    means = {net: np.mean([r['iou'][4] for r in by_seed.values()]) for net, by_seed in runs.items()}
    low, high = min(means, key=means.get), max(means, key=means.get)
    return low, high, means[high] - means[low]


def _validation_table(results):
    """Validation IoU during training, mean over seeds, and its change over the last 1,000 iterations:
    how near the networks were to their plateau when they were compared."""
    curves = {}
    for net in NETWORK_ORDER:
        for record in results['runs'].get(net, {}).values():
            if record.get('validation'):
                v = record['validation']
                curves.setdefault(net, []).append(dict(zip(v['iteration'], v['iou'])))
    if not curves:
        return []
    iterations = sorted(set.intersection(*(set(c) for runs in curves.values() for c in runs)))
    if len(iterations) < 2:
        return []
    last = iterations[-1]
    before = max((i for i in iterations if i <= last - 1000), default=iterations[0])
    lines = ['', '## Validation IoU during training (mean over seeds)', '',
             'The validation of training (TEST.NUM_VALIDATION_MODELS test-split models, 5 views); the last '
             f'column is the change from iteration {before:,} to {last:,}: near zero means the network had '
             'flattened when it was compared (a learning-rate step in between adds to it).', '',
             '| network | ' + ' | '.join(f'{i:,}' for i in iterations) + f' | change {before:,} to {last:,} |',
             '|' + '---|' * (len(iterations) + 2)]
    for net, runs in curves.items():
        mean = {i: float(np.mean([c[i] for c in runs])) for i in iterations}
        lines.append(f"| {TABLE1[net]['paper_name']} | " + ' | '.join(f'{mean[i]:.3f}' for i in iterations)
                     + f' | {signed(mean[last] - mean[before])} |')
    return lines


def markdown(results):
    test, real = _runs_of(results), _runs_of(results, 'real_eval')
    first = next(iter(next(iter(test.values())).values()))
    lines = [f"# Table 1: architecture comparison ({results['protocol']} protocol)", '',
             f"IoU at threshold {THRESHOLD:g} for 1 to 5 views (the first n renderings of each model) and the "
             'voxel cross-entropy at 5 views; mean ± sample standard deviation over seeds.', '']
    lines += ['## Runs', '', '| seed | networks | date | machine | code | command |', '|---|---|---|---|---|---|']
    seeds = sorted({int(s) for by_seed in results['runs'].values() for s in by_seed})
    for seed in seeds:
        recs = {net: results['runs'][net][str(seed)] for net in NETWORK_ORDER
                if str(seed) in results['runs'].get(net, {})}
        r = next(iter(recs.values()))
        names = ', '.join(TABLE1[n]['paper_name'] for n in recs)
        dates = sorted({x.get('date', '?') for x in recs.values()})
        commits = ', '.join(sorted({str(x.get('commit')) for x in recs.values()}))
        lines.append(f"| {seed} | {names} | {' to '.join([dates[0], dates[-1]] if len(dates) > 1 else dates)} | "
                     f"{r.get('machine', '?')} | {commits} | `{r.get('command', '?')}` |")
    lines += ['', f"## Test split: {first['dataset']}, {first['n_models']} models (mean over categories)", '']
    lines += _table(test, with_paper=True)
    if len(test) > 1:
        low, high, span = _span(test)
        lines += ['', f"Spread of the {len(test)} networks' 5-view IoU (mean over seeds): {span:.3f} "
                      f"({TABLE1[low]['paper_name']} lowest, {TABLE1[high]['paper_name']} highest)."]
    lines += ['', 'The paper\'s Res3D-GRU-3 by views (ShapeNet): ' +
              ', '.join(f'{RES_GRU_3_BY_VIEWS[n]:.3f}' for n in range(1, 6)) + '.']
    if real:
        r0 = next(iter(next(iter(real.values())).values()))
        lines += ['', f"## Real renderings: {r0['dataset']}, {r0['n_models']} models (mean over models)", '',
                  'Measured only: never used to choose or tune anything.', '']
        lines += _table(real, with_paper=False)
    lines += ['', "## The paper's claims, seed by seed", '',
              'Paired differences on the test split: IoU at 5 views of the first network minus the second '
              '(views: 5 views minus 1 view of the same run), one per seed. Rule: ' + RULE + '. '
              'Not tuned toward the paper.', '',
              '| claim | comparison | per seed | mean | spread | verdict | why |', '|---|---|---|---|---|---|---|']
    for c in results['claims']:
        per_seed = ', '.join(f'{s}: {signed(d)}' for s, d in zip(c['seeds'], c['differences']))
        spread = '-' if c['spread'] is None else f"{c['spread']:.3f}"
        why = c['reason'] + (f"; the mean curve falls {', '.join(c['falls'])}" if c.get('falls') else '')
        lines.append(f"| {c['claim']} | {c['comparison']} | {per_seed} | {signed(c['mean'])} | {spread} | "
                     f"**{c['verdict']}** | {why} |")
    lines += _validation_table(results)
    categories = sorted(first['per_category'])
    nets = list(test)
    lines += ['', '## IoU per category at 5 views, test split (mean over seeds)', '',
              '| category | ' + ' | '.join(TABLE1[n]['paper_name'] for n in nets) + ' |',
              '|' + '---|' * (1 + len(nets))]
    for c in categories:
        lines.append(f'| {CATEGORY_NAMES.get(c, c)} | ' + ' | '.join(
            f"{np.mean([r['per_category'][c] for r in test[n].values() if c in r['per_category']]):.3f}"
            for n in nets) + ' |')
    lines += ['', f"![IoU against the number of views]({os.path.basename(results['_png'])})", '']
    return '\n'.join(lines) + '\n'


def write(results, results_dir, stem):
    """Redraw <stem>.md and <stem>_views.png from the results and write <stem>.json (last: a reader
    that finds the json finds the tables made from it). Returns the three paths."""
    files = paths(results_dir, stem)
    os.makedirs(results_dir, exist_ok=True)
    results['claims'] = check_claims(_runs_of(results))
    results['paper'] = TABLE1
    text = markdown({**results, '_png': files['png']})
    plot_views(files['png'], _runs_of(results), _runs_of(results, 'real_eval'), results['protocol'])
    atomic_write_text(files['md'], text)
    atomic_write_text(files['json'], json.dumps(results, indent=1) + '\n')
    return files


def plot_views(path, test, real, protocol):
    from lib.output.figures import new_figure, save_figure
    panels = [('test split', test)] + ([('real renderings (measured only)', real)] if real else [])
    fig, axes = new_figure(1, len(panels), figsize=(5.2 * len(panels) + 2.2, 4.2), dpi=110, squeeze=False)
    views = np.arange(1, 6)
    for ax, (title, runs) in zip(axes[0], panels):
        for i, (net, by_seed) in enumerate(runs.items()):
            curves = np.asarray([r['iou'] for r in by_seed.values()])
            color = f'C{NETWORK_ORDER.index(net)}'
            ax.plot(views, curves.mean(axis=0), 'o-', color=color,
                    label=f"{TABLE1[net]['paper_name']} ({len(curves)} seed{'s' if len(curves) > 1 else ''})")
            if len(curves) > 1:   # the band: lowest to highest seed
                ax.fill_between(views, curves.min(axis=0), curves.max(axis=0), color=color, alpha=0.15)
        if runs is test:
            ax.plot(views, [RES_GRU_3_BY_VIEWS[n] for n in views], 's--', color='grey',
                    label='paper Res3D-GRU-3 (ShapeNet)')
        ax.set_xlabel('number of views')
        ax.set_ylabel(f'IoU (t = {THRESHOLD:g})')
        ax.set_xticks(views)
        ax.set_title(f'{title}, {protocol} protocol', fontsize=10)
        ax.grid(alpha=0.3)
    entries = {}   # every panel's curves, the paper's line of the first included
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    axes[0][-1].legend(list(entries.values()), list(entries), fontsize=8, loc='center left',
                       bbox_to_anchor=(1.02, 0.5))   # beside: curves fill the plot
    save_figure(fig, path)
