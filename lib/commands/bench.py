"""./run.sh bench: the command (arguments, the plan of worker groups, the printed tables and the
report); what it measures and how is lib/bench/ (benchmark.py's docstring)."""
import argparse
import datetime
import os
import time

from lib.bench.benchmark import (DEFAULT_OUT, PAPER_BATCH, PAPER_ITERATIONS, QUICK_OUT, analyse,
                                 analyse_schedule, keep_parent_off_the_gpu, measure, pipeline_spec, run_group,
                                 schedule_configs, schedule_plan, study_plan)
from lib.bench.count import count_macs
from lib.bench.data_speed import data_plan, data_ratios
from lib.bench.default_run import (DEFAULT_CFG, default_run_data_missing, default_run_lines, default_run_plan,
                                   default_run_ratios)
from lib.bench.measure import sample_dataset_root
from lib.bench.probe import idle_check
from lib.bench.report import (HEADER, PAIRED_HEADER, RATIO_HEADER, SCHEDULE_HEADER, fmt, measurement_rows,
                              paired_rows, ratio_rows, schedule_rows, text_table, write_report)
from lib.commands.common import CommandError, at_least, backend_ready, given_path, parse_list


def cmd_bench(argv):
    from lib.data_io import repo_path
    from models import NETWORKS, canonical_name, paper_name
    parser = argparse.ArgumentParser(
        prog='./run.sh bench',
        description='Measure this machine on the Keras backend in use (KERAS_BACKEND) and its device: the '
                    f'paper\'s schedule (forward 1 and 5 views, a training step at batch {PAPER_BATCH}, steps/s, '
                    f'the projected {PAPER_ITERATIONS:,}-iteration time) per precision and jit setting; on '
                    'TensorFlow also the CPU study of the fast path (matmul peaks, fast / reference ratios, '
                    'layer by layer, input pipeline). Writes '
                    f'{DEFAULT_OUT} (+ .json). Takes about 20 minutes on 2 quiet cores; run it on a quiet machine.')
    parser.add_argument('--net', default='res_gru_3', help='network (default res_gru_3): ' + ', '.join(NETWORKS))
    parser.add_argument('--quick', action='store_true',
                        help='smoke test: tiny network, few repetitions (about half a minute)')
    parser.add_argument('--out', help=f'report path (default {DEFAULT_OUT}; with --quick {QUICK_OUT})')
    parser.add_argument('--part', choices=['all', 'schedule', 'default', 'data'], default='all',
                        help='all (default); schedule: only the paper-schedule rows (and the input pipeline); '
                             f'default: only the default training run as it runs ({DEFAULT_CFG}, about 6 minutes); '
                             'data: only the rows of making data (generate-data, render-shapes)')
    parser.add_argument('--precisions', metavar='LIST',
                        help='NETWORK.PRECISION values of the schedule rows (default: float32,mixed_bfloat16 on '
                             'a CPU; mixed_bfloat16,float32,mixed_float16 on a GPU; float32 with --quick)')
    parser.add_argument('--jit', choices=['auto', 'both', 'true', 'false'], default='auto',
                        help="jit_compile of the schedule rows: auto (TRAIN.JIT_COMPILE auto's choice), both, true, false")
    parser.add_argument('--workers', type=int, default=2, help='decoding threads of the input pipeline (default 2)')
    parser.add_argument('--data', metavar='ROOT', help='dataset whose training split the input pipeline and the '
                                                       'default run read (default: the pipeline the real ShapeNet '
                                                       'sample of tests/data, the default run its config\'s dataset)')
    parser.add_argument('--time-limit', type=float, metavar='SECONDS',
                        help='stop measuring after this long and report what was measured')
    parser.add_argument('--busy', type=float, default=0.25,
                        help="other processes' CPU use (cores) above which a row counts as busy (default 0.25)")
    parser.add_argument('--retries', type=int, help='re-measurements of a busy row (default 2; 0 with --quick)')
    args = parser.parse_args(argv)
    net = canonical_name(args.net)
    at_least('--workers', args.workers, 1)
    precisions = parse_list(args.precisions, str, '--precisions') if args.precisions else None
    known = ('float32', 'mixed_bfloat16', 'mixed_float16')   # models.common.PRECISIONS (it loads Keras)
    bad = [p for p in precisions or [] if p not in known]
    if bad:
        raise CommandError(f'--precisions: unknown precision {bad[0]!r}; known: {", ".join(known)}')
    if args.time_limit is not None and not args.time_limit > 0:
        raise CommandError(f'--time-limit must be above 0, got {args.time_limit:g}')
    data = given_path(args.data, '--data')
    if data and not os.path.isdir(data):
        raise CommandError(f'--data: no such folder: {args.data}')
    retries = args.retries if args.retries is not None else (0 if args.quick else 2)
    out = os.path.abspath(args.out) if args.out else repo_path(QUICK_OUT if args.quick else DEFAULT_OUT)
    command = './run.sh bench' + ('' if not argv else ' ' + ' '.join(argv))
    log = lambda s: print(s, flush=True)
    deadline = None if args.time_limit is None else time.monotonic() + args.time_limit
    notes = []

    default_root = data or (sample_dataset_root() if args.quick else None)
    missing_data = default_run_data_missing(default_root) if args.part in ('all', 'default') else None
    if missing_data and args.part == 'default':   # before TensorFlow starts: a quick error
        raise CommandError(missing_data)

    keep_parent_off_the_gpu()
    backend_ready()   # (quietly: the parent builds networks to count their work)
    from models.common import PRECISIONS
    assert set(known) == set(PRECISIONS), 'lib/bench/benchmark.py: the known precisions follow models.common'
    started = datetime.datetime.now()
    machine = run_group([{'kind': 'machine', 'name': 'machine'}], 'any')[0]['machine']
    backend, device = machine['backend'], 'gpu' if machine['gpus'] else 'cpu'
    widths = (0.125,) if args.quick else (1.0, 0.25)
    from lib.bench.theano_form import literal_network
    from models import build_network
    counts = {w: count_macs(literal_network(net, width=w)) for w in widths}
    for w in widths:   # the fast graph must do exactly the useful work of the reference graph
        fast = count_macs(build_network(net, width=w))
        if {k: fast[k] for k in ('encoder', 'recurrence', 'decoder_dense', 'decoder_useful')} != \
                {k: counts[w][k] for k in ('encoder', 'recurrence', 'decoder_dense', 'decoder_useful')}:
            raise RuntimeError(f'MAC counts of the fast and reference graphs differ: {fast} {counts[w]}')
    width = widths[0]
    spec_desc = f'{paper_name(net)} ({net}, width {width:g})'
    versions = ', '.join(f'{k} {machine[k]}' for k in (backend, 'keras') if k in machine)
    # a part without the network's own rows is named for what it measures
    title = {'data': 'making the data (generate-data, render-shapes)',
             'default': 'the default training run (experiments/cfgs/cpu_default.yaml)'}.get(args.part, spec_desc)
    log(f'benchmark of {title} on {machine["cpu"]}, {machine["cores_usable"]} cores, '
        f'{fmt(machine["memory_gb"], ".0f")} GB; backend {versions}; '
        + (f'GPU: {", ".join(machine["gpus"])}' if machine['gpus'] else 'no GPU'))
    start = idle_check()
    log(f'load average {fmt(start["load_before"], ".2f")}, other processes using '
        f'{fmt(start["others_cores"], ".2f")} cores now'
        + ('  (BUSY: the numbers below will be noisy; rows are flagged)' if (start['others_cores'] or 0) > args.busy else ''))
    if precisions is None:
        precisions = (['float32'] if args.quick else
                      ['mixed_bfloat16', 'float32', 'mixed_float16'] if device == 'gpu' else ['float32', 'mixed_bfloat16'])
    configs = schedule_configs(backend, device, precisions, args.jit) if args.part in ('all', 'schedule') else []
    groups = [(g, 'any') for g in schedule_plan(net, args.quick, configs, device)] if configs else []
    if backend == 'tensorflow' and args.part == 'all':
        groups = [(g, 'cpu') for g in study_plan(net, args.quick, args.workers)] + groups
    elif args.part in ('all', 'schedule'):
        quick = args.quick
        groups.append(([pipeline_spec(2 if quick else PAPER_BATCH, 2 if quick else 5, args.workers, quick, data)], 'cpu'))
        if backend != 'tensorflow':
            notes.append(f'the CPU study of the fast path (matmul peaks, the issue-6 ratios, layer by layer) times '
                         f'TensorFlow itself: not run on {backend}')
    late_groups = []   # issue 27: the default run as it runs, and making the data
    if args.part in ('all', 'default') and backend != 'tensorflow':
        notes.append(f'the default training run as it runs (issue 27) is profiled with TensorFlow\'s and oneDNN\'s '
                     f'own timing: not run on {backend}')
    if args.part in ('all', 'default') and backend == 'tensorflow':
        if missing_data:
            notes.append(f'the default run was not measured: {missing_data}')
        else:
            late_groups += default_run_plan(args.quick, default_root)
    if args.part in ('all', 'data'):   # generate-data and render-shapes
        late_groups += data_plan(args.quick)
    cpu_groups = [g for g, d in groups if d == 'cpu']
    if args.quick and cpu_groups:   # one worker start fewer: the quick run's last CPU worker does them
        cpu_groups[-1].extend(m for g in late_groups if not g[0].get('env') for m in g)
        groups += [(g, 'cpu') for g in late_groups if g[0].get('env')]   # needs a worker started with it
    else:
        groups += [(g, 'cpu') for g in late_groups]
    if data:
        for group, _ in groups:
            for m in group:
                if m['kind'] == 'pipeline':
                    m['root'] = data
    results = measure(groups, args.busy, retries, log, deadline, notes)
    end = idle_check()
    peaks, ratios = analyse(results, counts, spec_desc, args.quick)
    ratios.update(data_ratios(results))
    ratios.update(default_run_ratios(results))
    schedule = analyse_schedule(results, machine, configs, args.quick)
    print()
    print(f'{spec_desc} on {backend} ({device}): the paper\'s schedule, training step at batch '
          f'{schedule["train_batch"]} x {schedule["train_views"]} views, projected over {PAPER_ITERATIONS:,} iterations')
    print(text_table(SCHEDULE_HEADER, schedule_rows(schedule)))
    for t in schedule['targets']:
        print(f'  {t["what"]}: {t["value_text"]} (target {t["target_text"]}: {t["met_text"]})')
    if ratios:
        print()
        print(f'{spec_desc}: fp32 matmul peak {fmt(peaks.get("float32"), ".0f")} GFLOP/s, '
              f'bf16 {fmt(peaks.get("bfloat16"), ".0f")} GFLOP/s')
    rows = measurement_rows(results)
    if rows:
        print(text_table(HEADER, rows))
    if ratios:
        print()
        print(text_table(PAIRED_HEADER, paired_rows(results)))
        print()
        print(text_table(RATIO_HEADER, ratio_rows(ratios)))
    for line in default_run_lines(results):
        print(line)
    for note in notes:
        print(f'note: {note}')
    if args.quick:
        print('(quick mode: tiny network, few repetitions: a smoke test, not a measurement)')
    busy_rows = [k for k, r in results.items() if r['busy']]
    if busy_rows:
        print(f'{len(busy_rows)} row(s) measured while other processes kept more than {args.busy:g} cores busy '
              f'(marked BUSY); rerun on a quiet machine to quote them')
    path, json_path = write_report(out, machine, spec_desc, results, peaks, ratios, counts, width, started,
                                   {'start': start, 'end': end}, args.quick, args.busy, command, schedule, notes,
                                   title=title)
    print(f'report written to {os.path.relpath(path, repo_path("."))} and {os.path.basename(json_path)}')
    return 0
