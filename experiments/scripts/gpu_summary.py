"""Writes gpu.md, the one-page account of a run of experiments/scripts/gpu_run.sh, from the files
that run left in its results folder (stages.tsv, log.txt, bench.md, train_log.csv, results.md,
equivalence.json). Numbers are copied from those files, never estimated; a stage that did not run
or failed says so.

    python experiments/scripts/gpu_summary.py RESULTS_DIR COMMAND_LINE
"""
import csv
import datetime
import json
import os
import sys


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def section(markdown, title_start):
    """The markdown section whose '## ' heading starts with title_start, without its heading."""
    if not markdown:
        return None
    out, inside = [], False
    for line in markdown.splitlines():
        if line.startswith('## '):
            if inside:
                break
            inside = line[3:].startswith(title_start)
            if inside:
                out.append(f'### {line[3:]}')
            continue
        if inside:
            out.append(line.replace('### ', '#### '))
    return '\n'.join(out).strip() or None


def training_lines(path, stages):
    try:
        with open(path) as f:
            rows = list(csv.DictReader(f))
    except OSError:
        return ['No training log (the training stage did not run or failed before its first step).']
    if not rows:
        return ['The training log is empty.']
    last = int(rows[-1]['iteration'])
    seconds = float(rows[-1]['seconds'])
    tail = [float(r['loss']) for r in rows[-50:]]
    train = stages.get('train', {})
    lines = [f'- iterations done: {last:,} ({"stopped by the time limit" if train.get("rc") == "124" else "as asked" if train.get("rc") == "0" else "exit " + str(train.get("rc"))})',
             f'- wall time in the training loop (train_log.csv, compiling and data included): {seconds:.0f} s, '
             f'{last / seconds:.2f} iterations/s overall' if seconds > 0 else '- wall time: -',
             f'- loss: first {float(rows[0]["loss"]):.4f}, mean of the last {len(tail)} {sum(tail) / len(tail):.4f}']
    if len(rows) > 100:   # the steady rate, past the compiles of the first steps
        a, b = rows[len(rows) // 2], rows[-1]
        steady = (int(b['iteration']) - int(a['iteration'])) / max(1e-9, float(b['seconds']) - float(a['seconds']))
        lines.append(f'- second half of the run: {steady:.2f} iterations/s')
    return lines


def main(folder, command):
    stages = {}
    for line in (read(os.path.join(folder, 'stages.tsv')) or '').splitlines()[1:]:
        name, rc, seconds, limit = (line.split('\t') + ['', '', ''])[:4]
        stages[name] = {'rc': rc, 'seconds': seconds, 'limit': limit}
    log = read(os.path.join(folder, 'log.txt')) or ''
    machine = [line[len('machine: '):] for line in log.splitlines() if line.startswith('machine: ')]
    lines = ['# GPU run', '', f'`{command}`, {datetime.datetime.now():%Y-%m-%d %H:%M}.', '', '## Machine', '']
    lines += [f'- {m}' for m in machine] or ['- (not recorded)']
    lines += ['', '## Stages', '', '| stage | exit | seconds | time limit (s) |', '|---|---|---|---|']
    lines += [f'| {k} | {v["rc"]} | {v["seconds"]} | {v["limit"]} |' for k, v in stages.items()]
    lines += ['', 'Exit 124: stopped at its time limit. Full output: log.txt.', '', '## Benchmark (bench.md)', '']
    bench = read(os.path.join(folder, 'bench.md'))
    if bench:   # the bench's own notes (rows stopped by its time limit, failed workers) come first
        head = bench.split('\n## ', 1)[0]
        lines += [line for line in head.splitlines() if line.startswith('- ')] + ['']
    lines.append(section(bench, "The paper's schedule") or 'No benchmark result.')
    lines += ['', '## Training (train_log.csv)', ''] + training_lines(os.path.join(folder, 'train_log.csv'), stages)
    lines += ['', '## Test (results.md)', '']
    results = read(os.path.join(folder, 'results.md'))
    lines.append('\n'.join(line.replace('# ', '### ', 1) if line.startswith('# ') else
                           line.replace('## ', '#### ', 1) if line.startswith('## ') else line
                           for line in results.splitlines()) if results else 'No test result.')
    lines += ['', '## GPU against CPU, fp32 (equivalence.json)', '']
    try:
        eq = json.loads(read(os.path.join(folder, 'equivalence.json')))
        lines += [f'Reference: {eq["reference"]["device"]} ({eq["reference"]["backend"]}, full fp32), '
                  f'{eq["models"]} test models x 5 views, the trained weights in fp32.', '',
                  '| compared | arithmetic | max abs difference of the probabilities | within 1e-4 |', '|---|---|---|---|']
        lines += [f'| {r["device"]} | {"full fp32" if r["highest"] else "the backend default"} | '
                  f'{r["max_abs_diff"]:.2e} | {"yes" if r["within_1e-4"] else "NO"} |' for r in eq['compared']]
    except (TypeError, ValueError, KeyError):
        lines.append('No comparison (the stage did not run or failed).')
    text = '\n'.join(lines) + '\n'
    with open(os.path.join(folder, 'gpu.md'), 'w') as f:
        f.write(text)
    print(text)


if __name__ == '__main__':
    main(sys.argv[1], ' '.join(sys.argv[2:]))
