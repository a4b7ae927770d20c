"""Issue 28's measurement before the cpu2 protocol is chosen: the validation curves and step times of
the short runs of experiments/cfgs/table1/cpu2_measure.yaml (output/cpu2_measure/NET/), written to
experiments/results/table1_cpu2_measure/ (README.md, curves.png, measure.json).

    .venv/bin/python experiments/scripts/cpu2_measure_report.py [--runs output/cpu2_measure]

Where a curve flattens is read with a rule written before the runs ended: the validation IoU smoothed
over three checks in a row (128 models each: a single check moved by +-0.03), and the first iteration
from which the smoothed curve stays within 0.02 of its last value. Seconds per iteration come from
the run's own train_log.csv (validation included), over the whole run. The slope of the smoothed
curve over the last 2,000 iterations says whether it still rises.
"""
import argparse
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from lib.output.atomic import atomic_write_text   # noqa: E402
from lib.data_io import repo_path   # noqa: E402
from lib.output.figures import new_figure, save_figure   # noqa: E402

SMOOTH = 3        # validation checks averaged
WITHIN = 0.02     # IoU from the last smoothed value
RISING = 0.005    # IoU per 1,000 iterations over the last 2,000: still rising above it


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def smoothed(values):
    return [sum(values[max(0, i - SMOOTH + 1):i + 1]) / len(values[max(0, i - SMOOTH + 1):i + 1])
            for i in range(len(values))]


def flattening(iterations, ious):
    """The first iteration from which the smoothed IoU stays within WITHIN of its last value."""
    s = smoothed(ious)
    for i in range(len(s)):
        if all(abs(v - s[-1]) <= WITHIN for v in s[i:]):
            return iterations[i]
    return iterations[-1]


def run_summary(folder):
    val = read_csv(os.path.join(folder, 'validation.csv'))
    log = read_csv(os.path.join(folder, 'train_log.csv'))
    its = [int(r['iteration']) for r in val]
    ious = [float(r['iou']) for r in val]
    # a resumed run restarts the clock: sum the per-segment times
    seconds, last = 0.0, 0.0
    for r in log:
        t = float(r['seconds'])
        seconds += t - last if t >= last else t
        last = t
    sm = smoothed(ious)
    back = [i for i, it in enumerate(its) if it <= its[-1] - 2000]   # the slope over the last 2,000 iterations
    slope = (sm[-1] - sm[back[-1]]) / (its[-1] - its[back[-1]]) * 1000 if back else None
    return {'iterations': its, 'iou': ious, 'smoothed': sm, 'loss': [float(r['loss']) for r in val],
            'slope_per_1000': slope,
            'flattens_at': flattening(its, ious), 'last_smoothed': smoothed(ious)[-1],
            'trained_to': int(log[-1]['iteration']), 'seconds_per_iteration': seconds / int(log[-1]['iteration'])}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', default='output/cpu2_measure')
    parser.add_argument('--out', default='experiments/results/table1_cpu2_measure')
    parser.add_argument('--notes', help='a paragraph on how the runs were made (machine, load, cuts)')
    args = parser.parse_args(argv)
    runs = repo_path(args.runs)
    nets = sorted(n for n in os.listdir(runs) if os.path.isfile(os.path.join(runs, n, 'validation.csv')))
    if not nets:
        sys.exit(f'error: no run with a validation.csv under {runs}')
    summary = {net: run_summary(os.path.join(runs, net)) for net in nets}
    out = repo_path(args.out)
    os.makedirs(out, exist_ok=True)
    fig, ax = new_figure(figsize=(7, 4))
    for net, s in summary.items():
        line, = ax.plot(s['iterations'], s['iou'], 'o', alpha=0.35, markersize=4)
        ax.plot(s['iterations'], s['smoothed'], '-', color=line.get_color(), label=f'{net} (mean of {SMOOTH} checks)')
        ax.axvline(s['flattens_at'], color=line.get_color(), linestyle=':', linewidth=1)
    ax.set_xlabel('iteration (batch 8, 1..5 views, constant learning rate 1e-4)')
    ax.set_ylabel('validation IoU (128 test models, 5 views, t=0.4)')
    ax.set_title('cpu2 measurement runs: width 0.25, bf16, embedded v2 data')
    ax.grid(alpha=0.3)
    ax.legend(loc='lower right')
    save_figure(fig, os.path.join(out, 'curves.png'))
    rows = ['| network | trained to | s per iteration (validation included) | validation IoU, last 3 checks | '
            f'smoothed curve within {WITHIN} of its end from | smoothed IoU gained per 1,000 iterations over the last 2,000 |',
            '|---|---|---|---|---|---|']
    for net, s in summary.items():
        rows.append(f'| {net} | {s["trained_to"]:,} | {s["seconds_per_iteration"]:.3f} | '
                    f'{", ".join(f"{v:.3f}" for v in s["iou"][-3:])} | {s["flattens_at"]:,} | '
                    + ('-' if s['slope_per_1000'] is None else f'{s["slope_per_1000"]:+.3f}') + ' |')
    text = '\n'.join([
        '# Table 1, cpu2: the measurement before the choice (issue 28)', '',
        f'Runs of `experiments/cfgs/table1/cpu2_measure.yaml` (seed 0), report by '
        f'`{" ".join(["experiments/scripts/cpu2_measure_report.py"] + argv)}`. '
        'Seconds per iteration hold for the machine and its load while the runs ran (see the notes below).', '',
        *rows, '',
        f'A curve that still gains more than {RISING:.3f} IoU per 1,000 iterations over its last 2,000 is '
        'still rising: its "within 0.02 of its end" iteration is then only where the run stopped. '
        + ' '.join(f'{net}: ' + ('still rising.' if s['slope_per_1000'] is not None and s['slope_per_1000'] > RISING
                                 else 'flat by this rule.') for net, s in summary.items()),
        '', '![validation curves](curves.png)', ''] + ([f'Notes: {args.notes}', ''] if args.notes else []))
    atomic_write_text(os.path.join(out, 'measure.md'), text)
    atomic_write_text(os.path.join(out, 'measure.json'), json.dumps(summary, indent=1))
    print(text)


if __name__ == '__main__':
    main(sys.argv[1:])
