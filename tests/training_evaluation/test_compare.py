"""The Table 1 driver: the runs it plans, the results it appends seed by seed, the tables it writes
and the paper's claims it checks (on tiny fake results: no network is trained here)."""
import json
import subprocess
from pathlib import Path

import pytest

from lib.analysis import compare, table1_report
from lib.analysis.claims import DOES_NOT_HOLD, HOLDS, TOO_CLOSE, check_claims, paired_verdict
from lib.analysis.compare import NETWORK_ORDER, planned_runs, run_comparison
from tests.conftest import REPO


def _compare(*args):
    return subprocess.run([str(REPO / 'run.sh'), 'compare', *args], capture_output=True, text=True, cwd=REPO,
                          timeout=300)


def test_dry_run_lists_a_train_and_a_test_per_network_and_seed(tmp_path):
    result = _compare('--protocol', 'cpu', '--seeds', '0,1', '--dry-run', '--measure', 'none',
                      '--results', str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    trains = [l for l in lines if l.startswith('./run.sh train')]
    tests = [l for l in lines if l.startswith('./run.sh test')]
    assert len(trains) == len(tests) == 10
    for net in NETWORK_ORDER:
        assert sum(f'table1/{net}.yaml' in l for l in trains) == 2
    assert all('table1/cpu.yaml' in l for l in trains)
    paper = _compare('--protocol', 'paper')
    assert paper.returncode == 1 and '--data' in paper.stderr


@pytest.mark.slow   # builds and times a network in a subprocess
def test_cpu2_dry_run_measures_step_times_and_prints_the_expected_time(tmp_path):
    """One network measured (the fast one), two runs planned: the commands, the real-eval tests, the
    measured step time, the machine's load and an expected time."""
    result = _compare('--protocol', 'cpu2', '--seeds', '4', '--nets', 'gru_1,lstm_1', '--dry-run',
                      '--measure', 'gru_1', '--real-eval', str(REPO / 'tests' / 'data' / 'shapenet-sample'),
                      '--results', str(tmp_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count('./run.sh train --cfg experiments/cfgs/table1/cpu2.yaml') == 2
    assert out.count('--split all') == 2
    assert 'measured now' in out and 'mixed_bfloat16' in out and 'batch 8 x 3 views' in out
    assert '3D-GRU-1:' in out and 's per training step' in out
    assert 'other processes used' in out   # how busy the machine was
    assert '2 runs to make' in out and '3D-LSTM-1 not measured' in out
    assert not list(tmp_path.iterdir())    # a dry run writes nothing


def _fake_results(path, iou5, views_gain=0.1, loss5=0.1, dataset='embedded dataset at data/x', n_models=4):
    """A results.json as ./run.sh test writes it, with IoU rising linearly to iou5 at 5 views."""
    per_view = {f'{n}@0.4': iou5 - views_gain * (5 - n) / 4 for n in range(1, 6)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        'meta': {'dataset': dataset}, 'n_models': n_models,
        'mean_over_categories': per_view, 'mean_over_models': {k: v - 0.05 for k, v in per_view.items()},
        'loss': {str(n): loss5 + 0.01 * (5 - n) for n in range(1, 6)},
        'per_category': {'03001627': {'5@0.4': iou5 - 0.05}, '02691156': {'5@0.4': iou5 + 0.05}}}))


def _fake_make_run(iou5_of):
    """A stand-in for make_run that writes the results a run would have (iou5_of(net, seed))."""
    made = []

    def make_run(run, part):
        made.append((run.net, run.seed, part))
        out = Path(run.out) if Path(run.out).is_absolute() else REPO / run.out
        if part == 'all':
            _fake_results(out / 'test' / 'results.json', iou5_of(run.net, run.seed))
            (out / 'validation.csv').write_text('iteration,loss,iou\n500,0.2,0.1\n1000,0.2,0.2\n'
                                                f'1500,0.1,{0.3 + 0.01 * run.seed}\n')
        if run.real_eval:
            _fake_results(out / 'test_real_eval' / 'results.json', iou5_of(run.net, run.seed) - 0.2,
                          dataset='ShapeNet layout at real', n_models=7)
    return make_run, made


BASE = {'lstm_1': 0.40, 'gru_1': 0.45, 'lstm_3': 0.43, 'gru_3': 0.50, 'res_gru_3': 0.60}


def test_seeds_append_and_a_finished_seed_is_not_run_again(tmp_path, monkeypatch):
    make_run, made = _fake_make_run(lambda net, seed: BASE[net] + 0.01 * seed)
    monkeypatch.setattr(compare, 'make_run', make_run)
    results, runs = tmp_path / 'results', str(tmp_path / 'runs')
    run_comparison('cpu2', [0], NETWORK_ORDER, runs, results_dir=str(results), command='./run.sh compare --seeds 0')
    assert [m[1] for m in made] == [0] * 5
    doc = json.loads((results / 'table1_cpu2.json').read_text())
    assert sorted(doc['runs']) == sorted(NETWORK_ORDER) and all(list(r) == ['0'] for r in doc['runs'].values())
    run_comparison('cpu2', [0, 1], NETWORK_ORDER, runs, results_dir=str(results),
                   command='./run.sh compare --seeds 0,1')
    assert [m[1] for m in made] == [0] * 5 + [1] * 5   # seed 0 was not made again
    doc = json.loads((results / 'table1_cpu2.json').read_text())
    assert doc['runs']['res_gru_3']['1']['iou'][4] == pytest.approx(0.61)
    assert doc['runs']['res_gru_3']['0']['command'] == './run.sh compare --seeds 0'   # kept as it was
    from lib.bench.probe import cpu_info
    assert doc['runs']['res_gru_3']['0']['machine'].startswith(cpu_info()[0] + ', ')   # the CPU by name
    run_comparison('cpu2', [0, 1], NETWORK_ORDER, runs, results_dir=str(results))
    assert len(made) == 10   # nothing left to do
    # real renderings asked later: only their test is made, for every finished run
    run_comparison('cpu2', [0, 1], ['gru_1'], runs, real_eval='/tmp/real', results_dir=str(results))
    assert made[10:] == [('gru_1', 0, 'real_eval'), ('gru_1', 1, 'real_eval')]
    doc = json.loads((results / 'table1_cpu2.json').read_text())
    assert doc['runs']['gru_1']['1']['real_eval']['iou'][4] == pytest.approx(0.46 - 0.2 - 0.05)   # mean over models
    text = (results / 'table1_cpu2.md').read_text()
    assert '## Real renderings: ShapeNet layout at real, 7 models' in text
    assert (results / 'table1_cpu2_views.png').read_bytes()[:4] == b'\x89PNG'


def test_results_of_other_data_or_config_are_not_mixed(tmp_path, monkeypatch):
    make_run, _ = _fake_make_run(lambda net, seed: BASE[net])
    monkeypatch.setattr(compare, 'make_run', make_run)
    results, runs = str(tmp_path / 'results'), str(tmp_path / 'runs')
    run_comparison('cpu2', [0], ['gru_1'], runs, results_dir=results)
    with pytest.raises(compare.CompareError, match='data'):
        run_comparison('cpu2', [1], ['gru_1'], runs, data=str(tmp_path / 'mix'), results_dir=results)
    doc = json.loads((tmp_path / 'results' / 'table1_cpu2.json').read_text())
    doc['runs']['gru_1']['0']['config_sha'] = 'another'
    (tmp_path / 'results' / 'table1_cpu2.json').write_text(json.dumps(doc))
    with pytest.raises(compare.CompareError, match='another config'):
        run_comparison('cpu2', [1], ['gru_1'], runs, results_dir=results)
    (tmp_path / 'old').mkdir()
    (tmp_path / 'old' / 'table1.json').write_text(json.dumps({'protocol': 'cpu', 'networks': {}}))
    with pytest.raises(compare.CompareError, match='earlier results format'):
        run_comparison('cpu', [0], ['gru_1'], runs, results_dir=str(tmp_path / 'old'))


def test_tables_show_mean_and_spread_over_seeds(tmp_path, monkeypatch):
    ious = {0: 0.60, 1: 0.62, 2: 0.64}
    make_run, _ = _fake_make_run(lambda net, seed: BASE[net] + ious[seed] - 0.60)
    monkeypatch.setattr(compare, 'make_run', make_run)
    run_comparison('cpu2', [0, 1, 2], NETWORK_ORDER, str(tmp_path / 'runs'), results_dir=str(tmp_path),
                   command='./run.sh compare --protocol cpu2 --seeds 0,1,2')
    text = (tmp_path / 'table1_cpu2.md').read_text()
    # Res3D-GRU-3: 5 views 0.60 / 0.62 / 0.64 -> 0.620 ± 0.020; 1 view 0.1 lower; loss 0.1 each seed
    assert ('| Res3D-GRU-3 | 0,1,2 | 0.100 ± 0.000 | 0.520 ± 0.020 | 0.545 ± 0.020 | 0.570 ± 0.020 | '
            '0.595 ± 0.020 | 0.620 ± 0.020 | 0.080 | 0.634 |') in text
    assert "Spread of the 5 networks' 5-view IoU (mean over seeds): 0.200" in text
    assert '`./run.sh compare --protocol cpu2 --seeds 0,1,2`' in text
    # every pair differs by the same amount in every seed: zero spread, the claim holds
    assert '| GRU beats LSTM (3x3x3 kernel) | 3D-GRU-3 - 3D-LSTM-3 | 0: +0.070, 1: +0.070, 2: +0.070 | +0.070 |' in text
    assert '**holds**' in text and '**does not hold**' not in text
    # validation during training, mean over seeds, and its change over the last 1,000 iterations
    assert '| Res3D-GRU-3 | 0.100 | 0.200 | 0.310 | +0.210 |' in text


def test_commit_takes_only_the_results_files(tmp_path):
    def git(*args):
        return subprocess.run(['git', '-C', str(tmp_path), *args], check=True, capture_output=True, text=True).stdout
    git('init', '-q')
    git('config', 'user.email', 't@example.org')
    git('config', 'user.name', 'test')
    (tmp_path / 'other.txt').write_text('someone else\'s work\n')
    git('add', 'other.txt')   # staged by another session
    results = tmp_path / 'results'
    results.mkdir()
    files = [results / 'table1_cpu2.md', results / 'table1_cpu2.json']
    for f in files:
        f.write_text('seed 0\n')
    assert compare.commit_results([str(f) for f in files], 'Table 1: seed 0')
    assert sorted(git('show', '--name-only', '--format=', 'HEAD').split()) == [
        'results/table1_cpu2.json', 'results/table1_cpu2.md']
    assert 'other.txt' in git('diff', '--cached', '--name-only')   # still staged, not committed
    assert not compare.commit_results([str(f) for f in files], 'again')   # unchanged: no empty commit


@pytest.mark.parametrize('differences, verdict', [
    ([0.03, 0.02, 0.04], HOLDS),                 # mean 0.03 > spread 0.01, positive in 3 of 3
    ([0.05, 0.04, -0.001], HOLDS),               # mean 0.030 > spread 0.027, positive in 2 of 3
    ([-0.03, -0.02, -0.04], DOES_NOT_HOLD),      # the reverse ordering holds
    ([0.03, -0.02, 0.01], TOO_CLOSE),            # mean 0.007 < spread 0.025
    ([0.10, -0.01, -0.01], TOO_CLOSE),           # one large seed: mean 0.027 < spread 0.064
    ([0.03], TOO_CLOSE),                         # one seed: no spread
])
def test_claim_verdicts(differences, verdict):
    assert paired_verdict(differences)[0] == verdict


def test_a_difference_that_rounds_to_zero_is_shown_without_a_sign_flip():
    assert table1_report.signed(-0.0004) == '+0.000' and table1_report.signed(-0.0123) == '-0.012'


def test_claim_needs_two_thirds_of_the_seeds_on_its_side():
    # mean 0.018 > spread 0.016, but only 3 of 5 seeds are positive (two thirds of 5 is 4)
    verdict, reason = paired_verdict([0.03, 0.03, 0.03, 0.0, 0.0])
    assert verdict == TOO_CLOSE and reason == 'same sign in only 3 of 5 seeds (needs 4)'


def _runs(table):
    """{net: {seed: {'iou': curve}}} from {net: [curve per seed]}."""
    return {net: {s: {'iou': c} for s, c in enumerate(curves)} for net, curves in table.items()}


def test_claims_are_paired_by_seed_and_the_views_claim_names_falls():
    rising, falling = [0.2, 0.3, 0.35, 0.36, 0.37], [0.3, 0.32, 0.33, 0.34, 0.31]
    shift = lambda c, d: [v + d for v in c]
    runs = _runs({'lstm_1': [rising, shift(rising, -0.05), shift(rising, 0.02)],
                  'gru_1': [shift(rising, 0.01), shift(rising, -0.04), shift(rising, 0.03)],   # +0.01 in every seed
                  'gru_3': [falling, falling, falling],
                  'res_gru_3': [shift(falling, -0.05), shift(falling, 0.06), falling]})
    checks = {c['comparison']: c for c in check_claims(runs)}
    gru_lstm = checks['3D-GRU-1 - 3D-LSTM-1']
    # unpaired, the seeds' spread (0.035) would swamp the 0.01 difference; paired, it holds
    assert gru_lstm['verdict'] == HOLDS and gru_lstm['differences'] == pytest.approx([0.01] * 3)
    assert checks['Res3D-GRU-3 - 3D-GRU-3']['verdict'] == TOO_CLOSE
    assert checks['3D-GRU-3 - 3D-GRU-1']['verdict'] == DOES_NOT_HOLD    # 0.31 against 0.34 to 0.40
    assert '3D-LSTM-3 - 3D-LSTM-1' not in checks and '3D-GRU-3 - 3D-LSTM-3' not in checks   # no runs: no claim
    views = checks['3D-GRU-3: 5 views - 1 view']
    # +0.01 from 1 to 5 views in every seed: holds, and the fall from 4 to 5 views is named beside it
    assert views['verdict'] == HOLDS and views['falls'] == ['4->5 views by 0.030']


def test_a_record_reads_the_files_test_and_train_write():
    """The record of a run from real outputs: the committed shipped weights' test reports and log."""
    shipped = REPO / 'experiments' / 'results' / 'cpu_more_data'
    record = table1_report.record_from_results(shipped / 'test' / 'results.json',
                                               shipped / 'test_real_eval' / 'results.json',
                                               shipped / 'validation.csv', seed_note='x')
    assert record['n_models'] == 937 and record['seed_note'] == 'x'
    assert record['iou'][4] == pytest.approx(0.644, abs=5e-4)              # mean over categories (its README)
    assert record['real_eval']['iou'][0] == pytest.approx(0.465, abs=5e-4)  # mean over models (its README)
    assert record['real_eval']['n_models'] == 7 and len(record['loss']) == 5 and len(record['per_category']) == 13
    assert record['validation']['iteration'][-1] == 6000 and record['validation']['iou'][-1] == pytest.approx(0.625887)


def test_a_run_echoes_its_milestones_and_progress_logs_everything_and_fails_in_one_line(tmp_path, capsys):
    script = ("print('noise'); print('iteration [###...........................] 10/100 1.0/s, 10s elapsed, "
              "~90s left'); print('validation at iteration 10: test IoU 0.1'); raise SystemExit(3)")
    log = tmp_path / 'compare.log'
    with pytest.raises(compare.CompareError, match=r'-c failed \(exit 3\); see .*compare.log'):
        compare._run(['python3', '-c', script], str(log))
    shown = capsys.readouterr().out.split('\n', 1)[1]   # after the '$ command' line
    assert 'iteration [###' in shown and 'validation at iteration 10' in shown and 'noise' not in shown
    assert 'noise' in log.read_text()
