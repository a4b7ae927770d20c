"""Reproduce the paper's architecture comparison (Table 1) and the views curve with one command.

Every network of Table 1 is trained and tested under one protocol (experiments/cfgs/table1/
<protocol>.yaml plus <net>.yaml): identical data, schedule, seed and budget. Each run is a plain
`./run.sh train` then `./run.sh test` (and, with --real-eval, a test on real renderings), so an
interrupted comparison resumes where it stopped when rerun, and --dry-run lists exactly the commands
it would make, with the time they should take here. When every network of a seed is done, its
numbers are added to experiments/results/<stem>.json and the tables redrawn (lib/analysis/
table1_report.py); with commit=True the three files are committed at once. A run already in the
json is not made again: `--seeds 1` after `--seeds 0` appends.
"""
import hashlib
import json
import os
import platform
import re
import shlex
import subprocess
from dataclasses import dataclass

from lib.analysis import table1_report as report
from lib.bench.probe import cpu_info
from lib.data_io import REPO_ROOT, repo_path
from lib.paper_results import TABLE1

CFG_DIR = 'experiments/cfgs/table1'
NETWORK_ORDER = report.NETWORK_ORDER
# protocol -> stem of its results files in experiments/results
PROTOCOLS = {'cpu': 'table1', 'cpu2': 'table1_cpu2', 'paper': 'table1_paper'}
# the lines of a run's output shown as it goes (all of it goes to the run's compare.log)
MILESTONES = ('validation', 'resuming', 'final weights', 'error', 'training ')
PROGRESS_LINE = re.compile(r'^\S.* \[[#.]+\] \d+/\d+ ')


class CompareError(RuntimeError):
    """A comparison that cannot go on (a failed run, results that do not fit); one line."""


@dataclass
class Run:
    net: str
    seed: int
    out: str              # the run's folder, relative to the repository or absolute
    train: list
    test: list
    real_eval: list = None   # the real-renderings test, when asked

    @property
    def weights(self):
        return os.path.join(self.out, f'{self.net}.weights.h5')

    @property
    def results(self):
        return os.path.join(self.out, 'test', 'results.json')

    @property
    def real_results(self):
        return os.path.join(self.out, 'test_real_eval', 'results.json')


def protocol_files(protocol, net):
    return [f'{CFG_DIR}/{protocol}.yaml', f'{CFG_DIR}/{net}.yaml']


def config_sha(protocol, net):
    """A digest of what the protocol's files set for net: runs of one network are averaged only if
    it is the same (a provisional value changed later changes it). The defaults are left out: new
    keys come with the code's evolution, which each record names by its commit instead."""
    import yaml
    settings = []
    for name in protocol_files(protocol, net):
        with open(repo_path(name)) as f:
            settings.append(yaml.safe_load(f))
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def code_commit():
    """The repository's commit (short), or None outside a git work tree."""
    try:
        out = subprocess.run(['git', '-C', repo_path('.'), 'rev-parse', '--short', 'HEAD'],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def planned_runs(protocol, seeds, networks, out_root, data=None, real_eval=None):
    """The Runs of the comparison, seed by seed in Table 1's row order."""
    runs = []
    for seed in seeds:
        for net in networks:
            out = os.path.join(out_root, net, f'seed{seed}')
            common = [a for f in protocol_files(protocol, net) for a in ('--cfg', f)]
            weights = os.path.join(out, f'{net}.weights.h5')
            train = ['./run.sh', 'train', *common, '--out', out, '--set', 'CONST.RNG_SEED', str(seed)]
            test = ['./run.sh', 'test', '--weights', weights, '--out', os.path.join(out, 'test'),
                    '--views', '1,2,3,4,5', '--thresholds', '0.3,0.4']
            if data:
                train += ['--data', data]
                test += ['--data', data]
            real = None
            if real_eval:   # the whole folder; the mean-shape baseline from the training data
                real = ['./run.sh', 'test', '--weights', weights, '--out', os.path.join(out, 'test_real_eval'),
                        '--data', real_eval, '--split', 'all', '--views', '1,2,3,4,5', '--thresholds', '0.3,0.4']
                if data:
                    real += ['--baseline-data', data]
            runs.append(Run(net, seed, out, train, test, real))
    return runs


def shown(path):
    """A path as the results show it: relative to the repository when inside it ('' stays '')."""
    if not path:
        return ''
    path = os.path.abspath(path)
    root = str(REPO_ROOT)
    return os.path.relpath(path, root) if os.path.commonpath([path, root]) == root else path


def _quote(command):
    return ' '.join(shlex.quote(c) for c in command)


def _run(command, log_path):
    print('$ ' + _quote(command), flush=True)
    with open(log_path, 'a') as log:
        proc = subprocess.Popen(command, cwd=repo_path('.'), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        for line in proc.stdout:
            log.write(line)
            # the run's milestones and its progress bar (lib/output/progress.py: a line per tenth in a pipe)
            if line.startswith(MILESTONES) or PROGRESS_LINE.match(line):
                print('  ' + line.rstrip(), flush=True)
        if proc.wait() != 0:
            raise CompareError(f'{command[1]} failed (exit {proc.returncode}); see {log_path}')


def _machine():
    """What a seed's record names as its machine: the CPU by name (the CPU model changes between
    machines of one kind), its cores and the kernel."""
    return f'{cpu_info()[0]}, {os.cpu_count()} CPU cores, {platform.system()} {platform.release()}'


def _pending(results, run, want_real):
    """What is left of a run: 'all', 'real_eval' (only the real-renderings test) or None (done)."""
    record = report.get_run(results, run.net, run.seed)
    if record is None:
        return 'all'
    return 'real_eval' if want_real and 'real_eval' not in record else None


def make_run(run, part):
    """Train and test one run (each step skipped if its output is there); real-eval too if asked."""
    os.makedirs(repo_path(run.out), exist_ok=True)
    log_path = repo_path(os.path.join(run.out, 'compare.log'))
    if part == 'all':
        _run(run.train, log_path)   # an already trained run says so and stops
        if not os.path.exists(repo_path(run.results)):
            _run(run.test, log_path)
    if run.real_eval and not os.path.exists(repo_path(run.real_results)):
        if not os.path.exists(repo_path(run.weights)):
            raise CompareError(f'{run.out}: no weights to measure on real renderings (the run was made '
                               'elsewhere); rerun it or leave out --real-eval')
        _run(run.real_eval, log_path)


def run_comparison(protocol, seeds, networks, out_root, data=None, real_eval=None, dry_run=False,
                   results_dir=None, command='', commit=False, measure=None):
    """Make the comparison's missing runs seed by seed, adding each finished seed to the results."""
    results_dir = results_dir or repo_path('experiments/results')
    stem = PROTOCOLS[protocol]
    files = report.paths(results_dir, stem)
    try:
        results = report.load(files['json'], protocol, shown(data))
    except report.ResultsError as e:
        raise CompareError(str(e)) from None
    runs = planned_runs(protocol, seeds, networks, out_root, data, real_eval)
    shas = {net: config_sha(protocol, net) for net in networks}
    for run in runs:   # refuse before hours of training, not after
        earlier = results['runs'].get(run.net, {})
        record = report.get_run(results, run.net, run.seed) or next(iter(earlier.values()), None)
        if record is not None and record.get('config_sha') != shas[run.net]:
            raise CompareError(f"{files['json']}: {TABLE1[run.net]['paper_name']} was run with another config "
                               f"({record.get('config_sha')}, now {shas[run.net]}); use another --results folder")
    todo = [(run, _pending(results, run, bool(real_eval))) for run in runs]
    if dry_run:
        print_plan(protocol, todo, files['json'], measure)
        return None
    done, total = 0, sum(1 for _, part in todo if part)
    commit_at_start = code_commit()   # the code the runs were made with
    machine = _machine()   # read once (/proc/cpuinfo), not per recorded run
    for seed in seeds:
        seed_runs = [(run, part) for run, part in todo if run.seed == seed and part]
        if not seed_runs:
            print(f'seed {seed}: already in {shown(files["json"])}; nothing to do')
            continue
        for run, part in seed_runs:
            make_run(run, part)
            done += 1
            print(f"[{done}/{total} runs] {TABLE1[run.net]['paper_name']}, seed {seed}: done", flush=True)
        for run, part in seed_runs:
            real = repo_path(run.real_results) if run.real_eval else None
            old = report.get_run(results, run.net, run.seed) or {}   # a real-eval-only update keeps its origin
            origin = {'command': old.get('command', command), 'machine': old.get('machine', machine),
                      'date': old.get('date', _today()), 'commit': old.get('commit', commit_at_start)}
            record = report.record_from_results(
                repo_path(run.results), real, repo_path(os.path.join(run.out, 'validation.csv')),
                **origin, config_sha=shas[run.net], run_folder=shown(repo_path(run.out)))
            try:
                report.add_run(results, run.net, run.seed, record)
            except report.ResultsError as e:
                raise CompareError(str(e)) from None
        written = report.write(results, results_dir, stem)
        with open(written['md']) as f:
            print(f.read())
        if commit:
            commit_results(list(written.values()), f'Table 1 ({protocol} protocol): seed {seed} of '
                           + ', '.join(TABLE1[r.net]['paper_name'] for r, _ in seed_runs) + f' added ({command})')
    return results


def _today():
    import datetime
    return datetime.date.today().isoformat()


def commit_results(files, message):
    """Commit exactly these files to the repository that holds them (git commit --only: whatever
    else is staged stays staged and out of this commit)."""
    where = os.path.dirname(os.path.abspath(files[0]))
    git = ['git', '-C', where]
    paths = [os.path.abspath(f) for f in files]
    try:
        subprocess.run(git + ['add', '--', *paths], check=True, capture_output=True, text=True)
        if subprocess.run(git + ['diff', '--cached', '--quiet', '--', *paths]).returncode == 0:
            print('results unchanged: nothing to commit')
            return False
        subprocess.run(git + ['commit', '-q', '-m', message, '--only', '--', *paths], check=True,
                       capture_output=True, text=True)
    except subprocess.CalledProcessError as e:
        raise CompareError(f'git {e.cmd[3]} of the results failed: {(e.stderr or e.stdout).strip()}; '
                           'the results are written, commit them by hand') from None
    print(f'committed {", ".join(os.path.basename(p) for p in paths)}')
    return True


def print_plan(protocol, todo, json_path, measure):
    """The dry run: every command still to make, then the time it should take here."""
    for seed in sorted({run.seed for run, _ in todo}):
        print(f'## seed {seed}')
        for run, part in todo:
            if run.seed != seed:
                continue
            name = f"{TABLE1[run.net]['paper_name']} ({run.net})"
            if part is None:
                print(f'# {name}: already in {shown(json_path)}')
                continue
            print(f'# {name}' + (': only the real-renderings test is missing' if part == 'real_eval' else ''))
            if part == 'all':
                print(_quote(run.train))
                print(_quote(run.test))
            if run.real_eval:
                print(_quote(run.real_eval))
    pending = [(run, part) for run, part in todo if part]
    if not pending:
        print('nothing to do: every run is in the results')
        return
    if measure:
        print_expected_time(protocol, pending, measure)
    else:
        print('\n# expected time: not measured (--measure none)')


def _models_being_made(cfg):
    """Test-split size of an embedded dataset still being generated, from its manifest's counts (the
    folders hold only part of it yet); None otherwise."""
    if cfg.DIR.DATASET_ROOT:
        return None
    from datasets.embedded.generator import MANIFEST
    from lib.data_io import dataset_root, split
    path = os.path.join(dataset_root(cfg), MANIFEST)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        manifest = json.load(f)
    if manifest.get('complete', True) or not manifest.get('counts'):
        return None
    return sum(len(split(range(n), cfg.TEST.DATASET_PORTION)) for n in manifest['counts'].values())


def _evaluated_models(cfg, real_eval):
    """(models a trained run evaluates: validations and test; real-eval models; note), from the
    datasets on disk."""
    from lib.data_io import DataError, category_model_pairs
    real = 0
    if real_eval:
        import copy
        other = copy.deepcopy(cfg)
        other.DIR.DATASET_ROOT = real_eval
        try:
            real = len(category_model_pairs(other, [0.0, 1.0]))
        except (DataError, OSError):
            pass
    test = _models_being_made(cfg)
    try:
        test = test if test is not None else len(category_model_pairs(cfg, cfg.TEST.DATASET_PORTION))
    except (DataError, OSError):
        return 0, real, 'evaluation not counted: the dataset is not there yet (it is made on first use)'
    validations, per = cfg.TRAIN.NUM_ITERATION // cfg.TRAIN.VALIDATION_FREQ, min(cfg.TEST.NUM_VALIDATION_MODELS, test)
    note = f'each run: {test} test models, {validations} validations of {per}'
    note += f', {real} real models' if real_eval else ''
    return test + validations * per, real, note


def print_expected_time(protocol, pending, measure):
    """Measure the step time of `measure` networks now and print what the pending runs should take."""
    from lib.analysis.step_time import MEASURED_VIEWS, busy_note, estimate, hours
    from lib.analysis.step_time import measure as measure_now
    data = next((r.train[r.train.index('--data') + 1] for r, _ in pending if '--data' in r.train), None)
    cfgs = {net: _cfg(protocol, net, data) for net in dict.fromkeys([r.net for r, _ in pending] + list(measure))}
    print(f'\n# expected time on this machine ({_machine()}):')
    measured = measure_now({net: cfgs[net] for net in measure})
    any_cfg = next(iter(cfgs.values()))
    print(f"# measured now ({measured['started']}): batch {any_cfg.CONST.BATCH_SIZE} x {MEASURED_VIEWS} views "
          f"(the mean of 1..{any_cfg.CONST.N_VIEWS}), {any_cfg.NETWORK.PRECISION}, median of {measured['reps']} "
          f"steps after {measured['warmup']} warm-up")
    for net, t in measured['times'].items():
        print(f"#   {TABLE1[net]['paper_name']}: {t['train_s']:.3f} s per training step, "
              f"{1000 * t['forward_s']:.1f} ms per evaluated model (5 views), {t['first_s']:.0f} s to build "
              'and trace the first step')
    print('# ' + busy_note(measured['load'], os.cpu_count()))
    plan, notes, counted = [], set(), {}
    real_eval = next((r.real_eval[r.real_eval.index('--data') + 1] for r, _ in pending if r.real_eval), None)
    for run, part in pending:
        if run.net not in counted:
            counted[run.net] = _evaluated_models(cfgs[run.net], real_eval)
        models, real, note = counted[run.net]
        notes.add(note)
        if part == 'all':
            plan.append((run.net, cfgs[run.net].TRAIN.NUM_ITERATION, models + real))
        else:
            plan.append((run.net, 0, real))
    low, high = estimate(plan, measured, traces=any_cfg.CONST.N_VIEWS)
    unmeasured = sorted({net for net, _, _ in plan} - set(measured['times']))
    span = hours(low) if abs(high - low) < 60 else f'{hours(low)} to {hours(high)}'
    print(f'# {len(plan)} runs to make ({"; ".join(sorted(notes))}): {span}'
          + (f" ({', '.join(TABLE1[n]['paper_name'] for n in unmeasured)} not measured: taken between the "
             'fastest and the slowest measured network)' if unmeasured else '')
          + '; from scratch (each trained run traces its step once per number of views), '
            'without making the dataset or starting the processes')


def _cfg(protocol, net, data=None):
    from lib.config import load_config
    return load_config([repo_path(f) for f in protocol_files(protocol, net)],
                       [('DIR.DATASET_ROOT', data)] if data else [])
