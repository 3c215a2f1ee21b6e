"""The parser throughput benchmark: what it reports about one run (the timing itself is not tested)."""

from benchmarks.throughput import measure


def test_a_run_reports_its_fastest_pass_which_is_never_slower_than_the_whole_run():
    run = measure(seconds=0.0)          # one pass at least, however short the time asked for
    assert run["forms"] > 0 and run["documents"] > 0
    # the fastest pass's forms per CPU-second can only match or beat the run's average
    assert run["best_pass_forms_per_second"] >= run["cpu_forms_per_second"] * 0.999
