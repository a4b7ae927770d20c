"""The benchmark's tables and its report (markdown + JSON): formatting only, no measuring."""
import json
import os

from lib.bench.count import macs_per_call
from lib.bench.default_run import default_run_lines

def fmt_time(seconds):
    return f'{seconds * 1e3:.1f} ms' if seconds < 10 else f'{seconds:.2f} s'


def row_label(name):
    parts = name.split('/')
    kind = parts[0]
    if kind == 'matmul':
        return f'matmul {parts[1]} {parts[2]}x{parts[2]}'
    if kind.startswith('forward') or kind == 'train':
        what = {'forward1': 'forward 1 view', 'forward5': 'forward 5 views', 'train': 'training step'}[kind]
        precision = PRECISION_LABELS[parts[2]]
        path = {'ref': 'reference', 'fast': 'fast'}[parts[1]]
        extra = f' width {parts[3][1:]}' if len(parts) > 3 else ''
        return f'{what}, {path} {precision}{extra}'
    if kind == 'layers':
        return f'layer by layer, {parts[1]} fp32 (1 view)'
    if kind == 'pipeline':
        return 'input pipeline, one batch'
    if kind == 'datagen':
        return 'generate-data, one model (CPU time)'
    if kind == 'shapes':
        return 'render-shapes, one large model (CPU time)'
    if kind == 'default_run':
        return 'default training run, one iteration'
    if kind == 'step_ops':
        return 'default step, oneDNN timing each op'
    if kind == 'step_kernels':
        return 'default step, one op at a time'
    if kind == 'paired':
        return f'interleaved {parts[1]} (a round of all configurations)'
    if kind == 'schedule':
        what = {'forward1': 'forward 1 view', 'forward5': 'forward 5 views'}.get(parts[1], f'training step {parts[1][5:]}')
        return f'{what}, {PRECISION_LABELS[parts[2]]}, jit {parts[3]}'
    if kind == 'unpool_conv':
        return f'unpool+conv {parts[1]} {parts[2][1:]}^3 batch {parts[3][1:]} {parts[4]}'
    return name


def fmt(v, spec):
    return '-' if v is None else format(v, spec)


def measurement_rows(results):
    """(label, median, min, reps, useful GMAC, GFLOP/s, % of fp32 peak, peak RSS, others' cores, flag)"""
    rows = []
    for r in results.values():
        name = r['name']
        if r['kind'] in ('layers', 'unpool_conv', 'paired', 'schedule', 'machine'):   # in their own sections
            continue
        label = row_label(name) + ('' if r['device'] == 'cpu' else f' [{r["device"]}]')
        extra = ''
        if name == 'pipeline':
            extra = f'{r["images_per_batch"] / r["median"]:.0f} images/s'
        elif 'images_per_s' in r:
            extra = f'{r["images_per_s"]:.1f} images/s consumed'
        elif name == 'default_run':
            extra = f'{r["mean_views"]:.2f} views on average, {r["precision"]}'
        elif name == 'datagen':
            extra = f'{r["models_per_s_per_core"]:.2f} models/s per core'
        elif name == 'shapes':
            extra = (f'{r["triangles_measured"]:,} triangles: {r["cpu_per_model_s"]:.2f} s per model, '
                     f'{r["cpu_per_10k_triangles_s"]:.2f} s per 10k triangles')
        rows.append((label, fmt_time(r['median']), fmt_time(r['min']), str(len(r['times'])),
                     fmt(r.get('useful_gmac'), '.2f'), fmt(r.get('gflops'), '.0f'),
                     fmt(None if r.get('peak_fraction') is None else 100 * r['peak_fraction'], '.0f'),
                     f'{r["peak_rss_mb"]:.0f} MB', f'{r["others_cores"] or 0:.2f}',
                     ('BUSY' if r['busy'] else '') + (f' {extra}' if extra else '')))
    return rows


HEADER = ('measurement', 'median', 'min', 'reps', 'useful GMAC', 'GFLOP/s', '% fp32 peak', 'peak RSS',
          "others' cores", 'notes')


def text_table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: '  '.join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return '\n'.join([line(header), line(['-' * w for w in widths])] + [line(r) for r in rows])


def md_table(header, rows):
    out = ['| ' + ' | '.join(header) + ' |', '|' + '|'.join('---' for _ in header) + '|']
    return '\n'.join(out + ['| ' + ' | '.join(str(c) for c in r) + ' |' for r in rows])


def ratio_rows(ratios):
    rows = []
    for r in ratios.values():
        met = '-' if r['met'] is None else ('yes' if r['met'] else 'NO')
        target = '(info)' if r['target'] is None else f'{r["op"]} {r["target"]:g}'
        rows.append((r['what'], fmt(r['value'], '.3f'), target, met + (' (busy)' if r['busy'] else ''),
                     r.get('source') or ''))
    return rows


RATIO_HEADER = ('target (issue 6)', 'value', 'target', 'met', 'timed')
CONFIG_LABELS = {'ref/float32': 'reference fp32', 'fast/float32': 'fast fp32', 'fast/mixed_bfloat16': 'fast bf16'}
PRECISION_LABELS = {'float32': 'fp32', 'mixed_bfloat16': 'bf16', 'mixed_float16': 'fp16'}


def paired_rows(results):
    """(measurement, config, median, ratio to the reference) of the interleaved measurements."""
    rows = []
    for r in results.values():
        if r['kind'] != 'paired' or r['device'] != 'cpu':
            continue
        what = {1: 'forward 1 view', 5: 'forward 5 views'}.get(r['views']) if r['what'] == 'forward' else \
            f'training step {r["batch"]}x{r["views"]}'
        ref = r['medians'].get('ref/float32')
        for config, median in r['medians'].items():
            rows.append((what, CONFIG_LABELS.get(config, config), fmt_time(median),
                         fmt(median / ref if ref else None, '.3f'), f'{r["others_cores"] or 0:.2f}',
                         'BUSY' if r['busy'] else ''))
    return rows


PAIRED_HEADER = ('interleaved', 'configuration', 'median', '/ reference', "others' cores", 'notes')


def macs_rows(counts, width):
    c = counts[width]
    rows = [('encoder, per view', f'{c["encoder"] / 1e9:.3f}', f'{c["encoder"] / 1e9:.3f}'),
            ('recurrence, per view', f'{c["recurrence"] / 1e9:.3f}', f'{c["recurrence"] / 1e9:.3f}')]
    rows += [(f'  decoder {name}', f'{d / 1e9:.3f}', f'{u / 1e9:.3f}') for name, d, u in c['decoder_layers']]
    rows.append(('decoder, per sample', f'{c["decoder_dense"] / 1e9:.3f}', f'{c["decoder_useful"] / 1e9:.3f}'))
    for v in (1, 5):
        rows.append((f'forward, {v} view{"s" if v > 1 else ""}', f'{macs_per_call(c, 1, v, False) / 1e9:.2f}',
                     f'{macs_per_call(c, 1, v, True) / 1e9:.2f}'))
    return rows


def layer_report(results, peaks):
    """Markdown: each convolution / matrix product of a 1-view forward, reference and fast."""
    ref, fast = results.get('layers/ref/float32'), results.get('layers/fast/float32')
    if not (ref and fast):
        return []
    peak = peaks.get('float32')
    by_name = {row[1]: row for row in ref['layers']}
    rows = []
    for part, name, seconds, useful in fast['layers']:
        r = by_name.get(name)
        rows.append((f'{part} {name}', fmt(r[2] * 1e3 if r else None, '.2f'), f'{seconds * 1e3:.2f}',
                     f'{useful / 1e9:.3f}', f'{2 * useful / seconds / 1e9:.0f}',
                     fmt(200 * useful / seconds / 1e9 / peak if peak else None, '.0f')))
    sums = {p: sum(row[2] for row in fast['layers'] if row[0] == p) for p in ('encoder', 'decoder')}
    ref_sums = {p: sum(row[2] for row in ref['layers'] if row[0] == p) for p in ('encoder', 'decoder')}
    lines = ['## Layer by layer (fp32, batch 1, one view; each layer timed alone, median)', '',
             md_table(('layer', 'reference ms', 'fast ms', 'useful GMAC', 'fast GFLOP/s', '% fp32 peak'), rows), '']
    for p in ('encoder', 'decoder'):
        lines.append(f'- {p}: layers alone sum to {ref_sums[p] * 1e3:.1f} ms (reference) and {sums[p] * 1e3:.1f} ms '
                     f'(fast); the whole {p} takes {ref["wholes"][p] * 1e3:.1f} ms and {fast["wholes"][p] * 1e3:.1f} ms.')
    lines += [f'- measured with other processes using {ref["others_cores"] or 0:.2f} and '
              f'{fast["others_cores"] or 0:.2f} cores.', '']
    return lines


def method_report(results):
    """Markdown: the ways of computing a convolution of an unpooled grid, side by side."""
    rows = {}
    for r in results.values():
        if r['kind'] == 'unpool_conv':
            key = (f'{r["n"]}^3 -> {2 * r["n"]}^3, {r["cin"]} -> {r["cout"]}',
                   f'{"forward + gradients" if r["grad"] else "forward"}, batch {r["batch"]}')
            rows.setdefault(key, {})[r['method']] = r['median']
    if not rows:
        return []
    methods = ('reference', 'transpose', 'parities')
    table = []
    for (shape, what), t in rows.items():
        best = min((m for m in methods[1:] if m in t), key=t.get)
        table.append((shape, what, *[fmt(t[m] * 1e3 if m in t else None, '.2f') for m in methods], best))
    return ['## Convolutions of an unpooled grid: reference vs the two zero-free forms (ms, median)', '',
            'reference = zero insertion then a dense 3x3x3 convolution; transpose = one stride-2 transposed '
            'convolution (the fast path, UNPOOL_CONV_METHODS["transpose"]); parities = 8 small convolutions, '
            'one per output parity, interleaved.', '',
            md_table(('grid', 'pass', *methods, 'faster zero-free form'), table), '']


def schedule_lines(schedule):
    """Markdown of the paper-schedule rows: the table, the targets of issue 18 and how to read them."""
    if not schedule['configs']:
        return []
    s = schedule
    lines = [f'## The paper\'s schedule on this device ({s["backend"]}, {s["device"]}'
             + (f': {", ".join(s["gpus"])}' if s['gpus'] else '') + ')', '',
             f'Forward passes at batch 1 and a training step at batch {s["train_batch"]} x {s["train_views"]} views '
             f'(the paper\'s batch; every step at the most views, so the projection is an upper bound: the '
             f'schedule draws 1..{s["train_views"]} views per batch), width {s["width"]:g}, fast path. '
             f'Medians of the timed calls after the warm-up; "first call" is the first call alone (tracing '
             f'and compiling included). Projected: {s["iterations"]:,} iterations at the median step time.', '',
             md_table(SCHEDULE_HEADER, schedule_rows(schedule)), '', '### Targets (issue 18, H200-class GPU, full width)', '',
             md_table(('target', 'value', 'target', 'met', 'from'), [
                 (t['what'], t['value_text'], t['target_text'], t['met_text'], t['config'] or '-')
                 for t in s['targets']]), '']
    if s['device'] != 'gpu' or s['width'] != 1.0:
        lines += ['The targets are for a GPU at full width: on this run they are shown, not judged.', '']
    return lines


SCHEDULE_HEADER = ('configuration', 'forward 1 view', 'forward 5 views', 'training step', 'steps/s',
                   'projected schedule', 'first call (fwd1 / fwd5 / train)', 'peak memory')


def schedule_rows(schedule):
    rows = []
    for c in schedule['configs']:
        first = ' / '.join(fmt(c['first_call'].get(k), '.1f') for k in ('forward1', 'forward5', 'train')) + ' s'
        memory = (f'{c["device_peak_mb"]:,.0f} MB GPU' if c.get('device_peak_mb') is not None
                  else (f'{c["peak_rss_mb"]:,.0f} MB RSS' if c.get('peak_rss_mb') else '-'))
        rows.append((c['label'], *[fmt_time(c[k]) if c.get(k) is not None else 'not measured'
                                   for k in ('forward1', 'forward5', 'train')],
                     fmt(c.get('steps_per_s'), '.2f'), _fmt_hours(c.get('schedule_s')), first,
                     memory + (' BUSY' if c.get('busy') else '')))
    return rows


def _fmt_hours(seconds):
    if seconds is None:
        return '-'
    return f'{seconds / 60:.0f} min' if seconds < 2 * 3600 else f'{seconds / 3600:.1f} h'


def write_report(path, machine, spec_desc, results, peaks, ratios, counts, width, started, conditions,
                 quick, busy, command, schedule, notes=(), title=None):
    lines = [f'# Benchmark: {title or spec_desc}', '',
             f'`{command}` on {started:%Y-%m-%d %H:%M} ({"QUICK smoke test: small configurations, not for quoting" if quick else "full run"}).',
             'Ratios are what compare across machines; absolute times hold for this machine only.', '']
    lines += [f'- {note}' for note in notes] + ([''] if notes else [])
    lines += ['## Machine', '']
    lines += [f'- {k}: {v}' for k, v in machine.items()]
    lines += ['', '## Conditions', '',
              f'- load average (1 min) at the start {fmt(conditions["start"]["load_before"], ".2f")}, '
              f'at the end {fmt(conditions["end"]["load_before"], ".2f")}; other processes used '
              f'{fmt(conditions["start"]["others_cores"], ".2f")} cores just before and '
              f'{fmt(conditions["end"]["others_cores"], ".2f")} just after.',
              f'- each row: "others\' cores" = CPU time of all other processes during its timed calls / '
              f'wall time (from /proc/stat); rows above {busy:g} cores were measured again and the '
              f'quietest attempt kept; BUSY marks rows still above it.',
              f'- busy rows: {", ".join(row_label(r["name"]) for r in results.values() if r["busy"]) or "none"}.', '']
    lines += schedule_lines(schedule)
    if ratios:   # the CPU study of the fast path (TensorFlow)
        lines += ['## Targets (issue 6)', '', md_table(RATIO_HEADER, ratio_rows(ratios)), '',
                  'Time ratios come from interleaved measurements: the configurations built in one process and '
                  'called in turn (reference, fast, fast bf16, reference, ...), so that a change of the machine\'s '
                  'load hits them alike. The rows below (one process each) give absolute times and peak memory.', '',
                  md_table(PAIRED_HEADER, paired_rows(results)), '']
    rows = measurement_rows(results)
    if rows:
        lines += ['## Measurements', '',
                  f'fp32 matrix-multiply peak {fmt(peaks.get("float32"), ".0f")} GFLOP/s, '
                  f'bf16 {fmt(peaks.get("bfloat16"), ".0f")} GFLOP/s (best median over the sizes).', '',
                  md_table(HEADER, rows), '',
                  'Peak RSS is the worker process\'s maximum resident memory (VmHWM): the framework, the '
                  'weights and the call' + (' (quick mode: cumulative over the rows, all in one process)' if quick
                                            else '; one process per row') + '.', '']
    lines += [f'## Multiply-accumulates per call (GMAC, width {width:g})', '',
              md_table(('part', 'literal (dense)', 'useful'), macs_rows(counts, width)), '',
              'Useful: every convolution and matrix product, a convolution of a zero-insertion unpool '
              'output counted as the stride-2 transposed convolution it equals (1/8 of the dense '
              'count); padding counted as work. Element-wise operations are not counted. A training '
              'step counts 3 forwards.', '']
    lines += layer_report(results, peaks) + method_report(results)
    default = default_run_lines(results)
    if default:
        lines += ['## The default training run as it runs (issue 27)', ''] + default + ['']
    pipeline = results.get('pipeline')
    if pipeline:
        lines += ['## Input pipeline', '',
                  f'TrainBatches through lib.train_net.batch_stream ({pipeline["workers"]} decoding threads), '
                  f'batches of {pipeline["images_per_batch"]} images from {pipeline["source"]}; each '
                  f'repetition is the mean time per batch over {pipeline["batches"]} batches in a row (so the '
                  f'read-ahead cannot hide the decoding); measured alone (in training it shares the cores with '
                  f'the training step).', '']
    text = '\n'.join(lines)
    from lib.output.atomic import atomic_write
    atomic_write(path, lambda tmp: open(tmp, 'w').write(text))
    json_path = os.path.splitext(path)[0] + '.json'
    data = {'machine': machine, 'network': spec_desc, 'quick': quick, 'started': started.isoformat(),
            'conditions': conditions, 'peaks_gflops': peaks, 'ratios': ratios, 'schedule': schedule,
            'results': results, 'macs': {str(k): v for k, v in counts.items()}, 'notes': list(notes)}
    atomic_write(json_path, lambda tmp: open(tmp, 'w').write(json.dumps(data, indent=1)))
    return path, json_path
