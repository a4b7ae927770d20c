"""./run.sh bench: what this machine does with the network, on the backend Keras uses.

One command, one machine. Every measurement runs in a fresh worker process (python -m lib.bench.benchmark
--worker SPEC): warm-up calls first (tracing included), then the median of several timed calls.
Around the timed calls the worker reads /proc/stat, so each row says how many cores other processes
kept busy meanwhile; a row above --busy cores is re-measured (--retries) and the quietest try is
kept, still flagged if it stayed busy. The worker's peak resident memory (VmHWM) is the row's peak
memory, so with one measurement per process it is that configuration's own.

Two parts:

- The paper's schedule, on any backend and device (GPU included): forward of 1 and 5 views at
  batch 1 and a training step at the paper's batch 24 x 5 views, through Keras' own compiled calls,
  per precision and jit setting; steps per second and the projected time of the 60,000-iteration
  schedule; the targets of issue 18. The parent process never touches the GPU (it counts on the
  CPU), so the workers have the whole device.
- The CPU study of the fast path (TensorFlow only, issue 6): matmul peaks, the time ratios fast /
  reference from interleaved measurements (reference, fast fp32 and fast bf16 built in one process
  and called in turn, round after round, so that a change of the machine's load hits them alike),
  layer by layer, the unpool convolutions, the input pipeline.

What is counted (not timed, lib/bench/count.py): the useful multiply-accumulates of a call, i.e.
those of every convolution and matrix product, where a convolution of a zero-insertion unpool output
counts as the stride-2 transposed convolution it equals (1/8 of the literal dense count). 'same'
padding is counted as work, as FLOP counters do. A training step counts as 3 forwards.

--quick runs small configurations with few repetitions: a smoke test of the command, not a
measurement to quote.
"""
import json
import os
import subprocess
import sys
import time

from lib.bench.count import count_macs, macs_per_call
from lib.data_io import REPO_ROOT
from lib.bench.measure import RESULT_TAG, TENSORFLOW_KINDS, worker
from lib.bench.report import PRECISION_LABELS, fmt_time, row_label

__all__ = ['count_macs', 'macs_per_call', 'worker']

DEFAULT_OUT = 'experiments/results/bench.md'
QUICK_OUT = 'experiments/results/bench-quick.md'
PAPER_ITERATIONS = 60000   # the paper's schedule (experiments/cfgs/paper.yaml)
PAPER_BATCH = 24

# (key, what, measurement, numerator config, denominator config, comparison, target). Time ratios
# come from the interleaved measurement paired/<measurement> (the configurations called in turn in
# one process), else from the separate rows <measurement>/<config>.
TARGETS = [
    ('fwd1_fast', 'forward 1 view, fast fp32 / reference', 'forward1', 'fast/float32', 'ref/float32', '<=', 0.65),
    ('fwd5_fast', 'forward 5 views, fast fp32 / reference', 'forward5', 'fast/float32', 'ref/float32', '<=', 0.80),
    ('fwd1_bf16', 'forward 1 view, fast bf16 / reference', 'forward1', 'fast/mixed_bfloat16', 'ref/float32', '<=', 0.40),
    ('fwd5_bf16', 'forward 5 views, fast bf16 / reference', 'forward5', 'fast/mixed_bfloat16', 'ref/float32', '<=', 0.50),
    # the issue names no precision for this one: both are held to it (fp32 cannot reach it, see the floor)
    ('train_fast', 'training step, fast fp32 / reference', 'train', 'fast/float32', 'ref/float32', '<=', 0.60),
    ('train_bf16', 'training step, fast bf16 / reference', 'train', 'fast/mixed_bfloat16', 'ref/float32', '<=', 0.60),
    ('efficiency', 'useful GFLOP/s of the fast fp32 forward (lower of 1, 5 views) / fp32 peak', None, None, None, '>=', 0.85),
    # issue 27: the full-width bf16 forward against its own precision's peak
    ('efficiency_bf16', 'useful GFLOP/s of the fast bf16 forward (lower of 1, 5 views) / bf16 peak', None, None, None,
     '>=', 0.75),
    ('pipeline', 'input pipeline images/s / training consumption', None, None, None, '>=', 10.0),
]


# Issue 18's targets (H200-class GPU, full width): (key, what, comparison, target)
SCHEDULE_TARGETS = [
    ('forward5', 'forward of 5 views at batch 1 (best configuration)', '<=', 0.005),
    ('steps', 'training steps/s at batch {batch}, mixed precision (best)', '>=', 20.0),
    ('schedule', f'the {PAPER_ITERATIONS:,}-iteration schedule, mixed precision (best)', '<=', 3600.0),
]


def pipeline_spec(batch, views, workers, quick, root=None):
    # the first repetition includes starting the threads; the median of 5 does not
    return {'kind': 'pipeline', 'name': 'pipeline', 'batch': batch, 'views': views, 'workers': workers,
            'batches': 3 if quick else 12, 'reps': 3 if quick else 5, 'root': root}


def schedule_configs(backend, device, precisions, jit):
    """[(precision, jit_compile)] in order: each precision with TRAIN.JIT_COMPILE auto's choice
    (jit 'auto'), with both settings ('both'), or with the one given ('true' / 'false')."""
    from lib.devices.backend import resolve_jit_compile
    configs = []
    for precision in precisions:
        auto = resolve_jit_compile('auto', backend, device)
        settings = {'auto': [auto], 'both': [auto, not auto], 'true': [True], 'false': [False]}[jit]
        configs += [(precision, setting) for setting in settings]
    return configs


def schedule_plan(net, quick, configs, device):
    """One group (one worker process) per configuration: forward 1 and 5 views, then a training step."""
    width = 0.125 if quick else 1.0
    batch, views = (2, 2) if quick else (PAPER_BATCH, 5)
    if quick:
        fw, fr, tw, tr = 1, 2, 1, 2
    elif device == 'gpu':
        fw, fr, tw, tr = 3, 20, 3, 10
    else:   # a full-width step at batch 24 takes ~tens of seconds on a small CPU
        fw, fr, tw, tr = 1, 5, 1, 2
    groups = []
    for precision, jit in configs:
        base = {'kind': 'schedule', 'net': net, 'width': width, 'precision': precision, 'jit': jit}
        on = 'on' if jit else 'off'
        group = [dict(base, name=f'schedule/forward{v}/{precision}/{on}', what='forward', views=v, batch=1,
                      warmup=fw, reps=fr) for v in (1, 5)]
        group.append(dict(base, name=f'schedule/train{batch}x{views}/{precision}/{on}', what='train', views=views,
                          batch=batch, warmup=tw, reps=tr))
        groups.append(group)
    return groups


def analyse_schedule(results, machine, configs, quick, iterations=PAPER_ITERATIONS):
    """Per configuration: the three rows, steps/s and the projected schedule; and issue 18's targets."""
    rows = [r for r in results.values() if r['kind'] == 'schedule']
    device = 'gpu' if machine.get('gpus') else 'cpu'
    out = {'backend': machine.get('backend'), 'device': device, 'gpus': machine.get('gpus', []),
           'iterations': iterations, 'configs': [], 'targets': [],
           'width': rows[0]['width'] if rows else (0.125 if quick else 1.0),
           'train_batch': 2 if quick else PAPER_BATCH, 'train_views': 2 if quick else 5}
    for precision, jit in configs:
        on = 'on' if jit else 'off'
        mine = {r['name'].split('/')[1]: r for r in rows if r['precision'] == precision and r['jit'] == jit}
        train = next((r for k, r in mine.items() if k.startswith('train')), None)
        c = {'precision': precision, 'jit': jit, 'label': f'{PRECISION_LABELS[precision]}, jit {on}',
             'forward1': mine['forward1']['median'] if 'forward1' in mine else None,
             'forward5': mine['forward5']['median'] if 'forward5' in mine else None,
             'train': train['median'] if train else None,
             'first_call': {k if not k.startswith('train') else 'train': r.get('first_call_s') for k, r in mine.items()},
             'device_peak_mb': max([r['device_peak_mb'] for r in mine.values() if r.get('device_peak_mb')] or [None],
                                   key=lambda v: v or 0),
             'peak_rss_mb': max([r['peak_rss_mb'] for r in mine.values()] or [0]),
             'busy': any(r['busy'] for r in mine.values())}
        if train:
            c['steps_per_s'] = 1.0 / train['median']
            c['schedule_s'] = iterations * train['median']
            c['images_per_s'] = train['batch'] * train['views'] / train['median']
        out['configs'].append(c)
    judged = device == 'gpu' and not quick and out['width'] == 1.0
    mixed = [c for c in out['configs'] if c['precision'] != 'float32' and c.get('steps_per_s')]
    fwd = [c for c in out['configs'] if c.get('forward5') is not None]
    best = {'forward5': min(fwd, key=lambda c: c['forward5'], default=None),
            'steps': max(mixed, key=lambda c: c['steps_per_s'], default=None)}
    best['schedule'] = best['steps']
    for key, what, op, target in SCHEDULE_TARGETS:
        c = best[key]
        value = None if c is None else {'forward5': c['forward5'], 'steps': c.get('steps_per_s'),
                                        'schedule': c.get('schedule_s')}[key]
        met = None if value is None or not judged else (value <= target if op == '<=' else value >= target)
        text = {'forward5': lambda v: fmt_time(v), 'steps': lambda v: f'{v:.2f}',
                'schedule': lambda v: f'{v / 60:.0f} min'}[key]
        out['targets'].append({'key': key, 'what': what.format(batch=out['train_batch']), 'value': value, 'op': op, 'target': target, 'met': met,
                               'config': c['label'] if c else None,
                               'value_text': '-' if value is None else text(value),
                               'target_text': f'{op} ' + text(target),
                               'met_text': '-' if value is None else ('not judged' if met is None
                                                                      else ('yes' if met else 'NO'))})
    pipeline = results.get('pipeline')
    fastest = max((c for c in out['configs'] if c.get('images_per_s')), key=lambda c: c['images_per_s'],
                  default=None)
    if pipeline and fastest:
        ratio = pipeline['images_per_batch'] / pipeline['median'] / fastest['images_per_s']
        out['targets'].append({'key': 'pipeline', 'what': f'input pipeline images/s ({pipeline["workers"]} threads) / '
                               f'consumption of the fastest training', 'value': ratio, 'op': '>=', 'target': 1.0,
                               'met': ratio >= 1.0, 'config': fastest['label'], 'value_text': f'{ratio:.2f}',
                               'target_text': '>= 1 (keeps up)', 'met_text': 'yes' if ratio >= 1.0 else 'NO'})
    return out


# ---------------------------------------------------------------------------------------------
# Running the plan: workers, retries, a time limit

_PARENT_HIDES = ('CUDA_VISIBLE_DEVICES', 'JAX_PLATFORMS')
_WORKER_ENV = dict(os.environ)   # the environment as given, for the workers (the parent hides the GPU)


def keep_parent_off_the_gpu():
    """The parent only counts and plans: it computes on the CPU, so that no GPU memory is held by it
    (TensorFlow and JAX reserve most of a GPU's memory when they first use it)."""
    _WORKER_ENV.clear()
    _WORKER_ENV.update(os.environ)
    os.environ['CUDA_VISIBLE_DEVICES'] = '-1'
    os.environ['JAX_PLATFORMS'] = 'cpu'


class WorkerFailed(RuntimeError):
    pass


def run_group(group, device, timeout=None):
    env = dict(_WORKER_ENV)
    env.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    env.update(group[0].get('env', {}))   # variables read when a library starts (ONEDNN_VERBOSE)
    if device == 'cpu':
        env['CUDA_VISIBLE_DEVICES'] = '-1'
        env['JAX_PLATFORMS'] = 'cpu'
    root = str(REPO_ROOT)
    env['PYTHONPATH'] = root + (os.pathsep + env['PYTHONPATH'] if env.get('PYTHONPATH') else '')
    try:
        proc = subprocess.run([sys.executable, '-m', 'lib.bench.benchmark', '--worker', json.dumps(group)],
                              capture_output=True, text=True, cwd=root, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise WorkerFailed(f'benchmark worker for {[m["name"] for m in group]} stopped at the time limit '
                           f'(after {timeout:.0f} s)') from None
    results = [json.loads(line[len(RESULT_TAG):]) for line in proc.stdout.splitlines()
               if line.startswith(RESULT_TAG)]
    if proc.returncode != 0 or len(results) != len(group):
        tail = '\n'.join(proc.stderr.strip().splitlines()[-15:])
        raise WorkerFailed(f'benchmark worker for {[m["name"] for m in group]} failed '
                           f'(exit {proc.returncode}):\n{tail}')
    for r in results:
        r['device'] = device
    return results


def measure(groups, busy, retries, log, deadline=None, notes=None):
    """Run each (group, device) in its worker; with a deadline (time.monotonic()), groups past it are
    skipped and a worker still running at it is stopped, and `notes` says so (nothing is raised)."""
    results = {}
    for group, device in groups:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            notes.append(f'not measured (time limit): {", ".join(row_label(m["name"]) for m in group)}')
            continue
        best = None
        try:
            for attempt in range(retries + 1):
                got = run_group(group, device, timeout=left)
                worst = max((r['others_cores'] or 0.0) for r in got)
                for r in got:
                    r['attempts'] = attempt + 1
                if best is None or worst < best[0]:
                    best = (worst, got)
                if worst <= busy or (deadline is not None and time.monotonic() > deadline):
                    break
                log(f'  busy: other processes used {worst:.2f} cores during {got[0]["name"]}'
                    + (', measuring again' if attempt < retries else ''))
        except WorkerFailed as e:
            if deadline is None and group[0]['kind'] != 'schedule':
                raise
            first = str(e).splitlines()
            notes.append(f'{first[0]}' + (f': {first[-1]}' if len(first) > 1 else ''))
            log(f'  {notes[-1]}')
            if best is None:
                continue
        for r in best[1]:
            r['busy'] = (r['others_cores'] or 0.0) > busy
            results[r['name']] = r
            log(f'  {row_label(r["name"]):44s} {fmt_time(r["median"]):>10s}   others {r["others_cores"] or 0:.2f} cores'
                f'{"  BUSY" if r["busy"] else ""}')
    return results


# ---------------------------------------------------------------------------------------------
# The CPU study of the fast path (TensorFlow)

def study_plan(net, quick, workers=2):
    """The CPU study of the fast path (TensorFlow): groups of measurement specs, one worker process each."""
    if quick:
        width, train_batch, train_views, fw, fr, tw, tr = 0.125, 2, 2, 1, 2, 1, 2
    else:
        # 15 forward repetitions: a few calls of a process now and then take 1.2-1.5x the others
        # (measured with no other process busy), and the median of 7 was not robust to them
        width, train_batch, train_views, fw, fr, tw, tr = 1.0, 8, 5, 2, 15, 2, 4
    base = {'net': net, 'width': width}
    configs = [('ref', 'float32'), ('fast', 'float32'), ('fast', 'mixed_bfloat16')]
    groups = []
    sizes = (512,) if quick else (1024, 2048, 4096)
    groups.append([{'kind': 'matmul', 'name': f'matmul/{d}/{n}', 'n': n, 'dtype': d,
                    'warmup': 2, 'reps': 3 if quick else 7}
                   for d in ('float32', 'bfloat16') for n in sizes])
    for path, precision in configs:
        group = [{'kind': 'forward', 'name': f'forward{v}/{path}/{precision}', 'views': v, 'batch': 1,
                  'path': path, 'precision': precision, 'warmup': fw, 'reps': fr, **base} for v in (1, 5)]
        if not quick:   # quick: the interleaved training steps below are enough of a smoke test
            group.append({'kind': 'train', 'name': f'train/{path}/{precision}', 'views': train_views,
                          'batch': train_batch, 'path': path, 'precision': precision, 'warmup': tw,
                          'reps': tr, **base})
        groups.append(group)
    # the ratios of the targets: the configurations in turn, in one process
    for v in (1, 5):
        groups.append([{'kind': 'paired', 'name': f'paired/forward{v}', 'what': 'forward', 'views': v, 'batch': 1,
                        'configs': configs, 'warmup': fw, 'reps': fr, **base}])
    groups.append([{'kind': 'paired', 'name': 'paired/train', 'what': 'train', 'views': train_views,
                    'batch': train_batch, 'configs': configs, 'warmup': tw,
                    'reps': tr, **base}])
    if not quick:
        groups.append([{'kind': 'layers', 'name': f'layers/{path}/float32', 'path': path, 'precision': 'float32',
                        'warmup': 2, 'reps': 5, **base} for path in ('ref', 'fast')])
        # the project's default training run (experiments/cfgs/cpu_default.yaml: width 0.25, batch 8)
        groups.append([{'kind': 'train', 'name': 'train/fast/float32/w0.25', 'views': 5, 'batch': 8,
                        'path': 'fast', 'precision': 'float32', 'warmup': 2, 'reps': 7, 'net': net,
                        'width': 0.25}])
        shapes = [(4, 128, 128), (8, 128, 128), (16, 128, 64)]
        groups.append([{'kind': 'unpool_conv', 'name': f'unpool_conv/{method}/n{n}/b{batch}/{"grad" if grad else "fwd"}',
                        'method': method, 'n': n, 'cin': cin, 'cout': cout, 'batch': batch, 'grad': grad,
                        'warmup': 1 if grad else 2, 'reps': 3 if grad else 7}
                       for grad, batch in ((False, 1), (True, 8)) for n, cin, cout in shapes
                       for method in ('reference', 'transpose', 'parities')])
    # the first repetition includes starting the threads; the median of 5 does not
    groups.append([pipeline_spec(train_batch, train_views, workers, quick)])
    if quick:   # one process for everything: TensorFlow starts once
        return [[m for g in groups for m in g]]
    # one process per forward / training measurement, so that its peak memory is its own
    out = []
    for g in groups:
        if g[0]['kind'] in ('forward', 'train', 'paired'):
            out.extend([m] for m in g)
        else:
            out.append(g)
    return out


def _info_ratio(what, value, busy, source=None):
    """A ratio reported beside the targets, with no target of its own."""
    return {'what': what, 'value': value, 'op': None, 'target': None, 'met': None, 'busy': busy,
            'source': source}


def analyse(results, counts, spec_desc, quick):
    """Derived numbers of the CPU study: peaks, useful GFLOP/s, ratios, targets ({} ratios where the
    study did not run)."""
    cpu = {k: v for k, v in results.items() if v['device'] == 'cpu' and v['kind'] != 'schedule'}
    for r in results.values():
        if r['kind'] == 'matmul':
            r['gflops'] = 2 * r['n'] ** 3 / r['median'] / 1e9
    peaks = {}
    for dtype in ('float32', 'bfloat16'):
        rows = [r for r in cpu.values() if r['kind'] == 'matmul' and r['dtype'] == dtype]
        if rows:
            peaks[dtype] = max(r['gflops'] for r in rows)
    for r in results.values():
        kind = r['name'].split('/')[0]
        if kind.startswith('forward') or kind == 'train':
            c = counts[r['width']]
            useful = macs_per_call(c, r['batch'], r['views'], useful=True) * (3 if kind == 'train' else 1)
            r['useful_gmac'] = useful / 1e9
            r['gflops'] = 2 * useful / r['median'] / 1e9
            r['peak_fraction'] = (r['gflops'] / peaks['float32'] if 'float32' in peaks and r['device'] == 'cpu'
                                  else None)
    def time_ratio(measurement, num, den):
        """(value, busy, source) of median(num) / median(den)."""
        paired = cpu.get(f'paired/{measurement}')
        if paired and num in paired['medians'] and den in paired['medians']:
            return paired['medians'][num] / paired['medians'][den], paired['busy'], 'interleaved'
        a, b = cpu.get(f'{measurement}/{num}'), cpu.get(f'{measurement}/{den}')
        if a and b:
            return a['median'] / b['median'], a['busy'] or b['busy'], 'separate processes'
        return None, False, None

    def consumption(row):
        """Images per second a training step consumes."""
        return row['views'] * row['batch'] / row['median']

    train = cpu.get('train/fast/float32')
    if train is None and 'paired/train' in cpu and 'fast/float32' in cpu['paired/train']['medians']:
        paired = cpu['paired/train']
        train = dict(paired, median=paired['medians']['fast/float32'])
    ratios = {}
    if not any(r['kind'] in TENSORFLOW_KINDS for r in cpu.values()):
        return peaks, ratios
    for key, what, measurement, num, den, op, target in TARGETS:
        value, flagged, source = time_ratio(measurement, num, den) if measurement else (None, False, None)
        if key in ('efficiency', 'efficiency_bf16'):
            precision, dtype = ('float32', 'float32') if key == 'efficiency' else ('mixed_bfloat16', 'bfloat16')
            rows = [cpu.get(f'forward{v}/fast/{precision}') for v in (1, 5)]
            if all(r and 'gflops' in r for r in rows) and dtype in peaks:
                value = min(r['gflops'] for r in rows) / peaks[dtype]
                flagged = any(r['busy'] for r in rows) or any(
                    cpu[k]['busy'] for k in cpu if k.startswith(f'matmul/{dtype}/'))
        elif key == 'pipeline':
            p = cpu.get('pipeline')
            if p and train:
                p['images_per_s'] = p['images_per_batch'] / p['median']
                value, flagged = p['images_per_s'] / consumption(train), p['busy'] or train['busy']
        met = None if value is None else (value <= target if op == '<=' else value >= target)
        ratios[key] = {'what': what, 'value': value, 'op': op, 'target': target, 'met': met, 'busy': flagged,
                       'source': source}
    # The floor of the fp32 time ratios: the useful work alone at the measured fp32 matmul peak,
    # over the reference's time. A fp32 target below it cannot be met on this machine.
    for measurement, label in (('forward1', 'forward 1 view'), ('forward5', 'forward 5 views'),
                               ('train', 'training step')):
        ref = cpu.get(f'{measurement}/ref/float32')
        paired = cpu.get(f'paired/{measurement}')
        if ref is None or 'useful_gmac' not in ref or 'float32' not in peaks:
            continue
        ref_time = paired['medians'].get('ref/float32', ref['median']) if paired else ref['median']
        ratios[f'{measurement}_floor'] = _info_ratio(
            f'{label}: useful work at the fp32 peak / reference (lowest fp32 ratio possible)',
            2 * ref['useful_gmac'] / peaks['float32'] / ref_time,
            ref['busy'] or (paired['busy'] if paired else False),
            'interleaved' if paired else 'separate processes')
    default = cpu.get('train/fast/float32/w0.25')
    if cpu.get('pipeline') and default:
        p = cpu['pipeline']
        ratios['pipeline_default'] = _info_ratio(
            'input pipeline images/s / consumption of the default training (width 0.25)',
            p['images_per_batch'] / p['median'] / consumption(default), p['busy'] or default['busy'])
    if train:
        train['images_per_s'] = consumption(train)
    return peaks, ratios


if __name__ == '__main__':
    worker(json.loads(sys.argv[2]))   # python -m lib.bench.benchmark --worker SPEC (run_group)
