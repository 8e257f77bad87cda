"""Every test starts without the environment a CLI call may set (gradekit's global options travel that way).

``own_tempdir``: for the test files that ask for it (``pytestmark = pytest.mark.usefixtures("own_tempdir")``),
the sandbox's and batches' temporary folders go to the test's own folder (forked workers inherit it), so a
test that counts gradekit-* folders in the shared temp dir does not see another's, and one can list its own.
"""

import tempfile

import pytest


@pytest.fixture
def own_tempdir(tmp_path, monkeypatch):
    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


@pytest.fixture(autouse=True)
def _clean_gradekit_environment(monkeypatch):
    for name in ("GRADEKIT_PROBLEMS", "GRADEKIT_REQUIRE_ISOLATION"):
        monkeypatch.delenv(name, raising=False)  # restored (unset) after the test, whatever the test set


# --- the fast tier (make test-fast): what is left out, and why ---------------------------------------------------
# Whole files that build virtual environments or wheels, start clusters, train networks, or grade batches of many
# children; then single tests of other files that take seconds each (measured 2026-12-08: 1.5 s or more on the
# 2-core dev machine). `make test` runs them all; tests/README.md says which tier holds what.
SLOW_FILES = {
    # venvs, wheels, bundles installed as Gradescope installs them
    "test_autograder.py", "test_autograder_installed.py", "test_wheel.py", "test_light_install.py",
    "test_students_env.py", "test_students_default_env.py",
    # clusters and the confined level's own servers
    "test_cluster.py", "test_confined.py",
    # training networks (torch), and the attacks on it
    "test_module_task23.py", "test_module_torch.py", "test_module_torch_handout.py", "test_module_torch_judgement.py",
    "test_training.py", "test_training_exploit.py", "test_code_training.py", "test_cuda_calls.py",
    "test_module_adversarial.py",
    # batches of many children: resume, leftovers, time limits
    "test_resume.py", "test_batch_leftovers.py", "test_batch_time_limit.py",
}
SLOW_TESTS = {
    "test_hand_grades.py": ("test_a_filled_in_manual_csv_is_never_overwritten_by_a_run_that_does_not_merge_it",),
    "test_grader_faults.py": ("test_a_batch_row_with_a_grader_error_has_no_total_and_says_why",),
    "test_batch.py": ("test_a_stuck_worker_does_not_stop_the_batch", "test_cli_grade",
                      "test_gradebook_columns_a_course_imports"),
    "test_batch_summary.py": ("test_a_rerun_removes_feedback_of_students_no_longer_in_the_folder_and_nothing_else",
                              "test_a_stopped_batch_keeps_the_feedback_of_students_it_did_not_reach"),
    "test_bounds_work.py": ("test_a_child_result_of_a_million_tables_is_refused_before_it_is_parsed",
                            "test_a_notebook_with_14_mb_of_outputs_is_read_without_them",
                            "test_a_proof_that_runs_away_gives_up_and_the_random_instances_decide",
                            "test_the_batch_gives_each_attacker_its_own_row_and_no_grader_error"),
    "test_budgets.py": ("test_a_call_under_load_is_held_to_its_cpu_time_not_the_wall_clock",
                        "test_a_sleeping_call_is_stopped_after_its_budget_not_the_backstop",
                        "test_an_overrun_is_retried_once_and_says_so"),
    "test_bundle_contents.py": ("test_a_plugin_folder_is_bundled_and_the_bundle_grades_with_it",),
    "test_class_accounting.py": ("test_every_submission_and_every_file_is_accounted_for", "test_a_rerun_reuses_the_rows_of_unchanged_archives",),
    "test_class_closed.py": ("test_in_the_jail_the_class_is_not_in_the_view",),
    "test_cli_flags.py": ("test_grade_jobs_sets_the_worker_count",),
    "test_cluster_security.py": ("test_a_cluster_started_with_the_made_certificates_grades_and_an_insecure_one_is_said",),
    "test_code_problems.py": ("test_real_students_files_get_the_courses_marks", "test_a_wrong_axis_costs_that_value_and_says_both_shapes",
                              "test_one_function_wrong_keeps_the_others_points", "test_real_convnets_structure_and_forward",
                              "test_the_draws_change_with_the_file_and_a_table_of_answers_fails"),
    "test_code_standins.py": ("test_a_train_that_returns_its_start_scores_zero_with_the_reason",
                              "test_a_wrong_forward_is_not_fed_to_backward_or_train",
                              "test_the_training_is_scored_from_the_trained_weights_by_the_solutions_code"),
    "test_ece661_lab2a.py": ("test_nn_conv2d_in_place_of_the_labs_conv_gets_the_tas_8_of_10_and_names_the_cause", "test_no_relu_after_fc2_alone_gets_the_tas_9_of_10", "test_a_forward_that_raises_in_a_later_layer_keeps_its_defined_layers_and_parameters",
                             "test_biases_and_another_difference_are_no_named_mistake",
                             "test_no_relu_after_fc2_fails_layers_alone",
                             "test_the_fall_2021_table_1_on_the_older_handout_is_graded_as_its_architecture",
                             "test_the_older_handouts_conv_runs_with_its_bias_and_says_so"),
    "test_instructor_folder.py": ("test_the_bundle_carries_the_folder_and_grades_from_it",),
    "test_isolation.py": ("test_a_child_gets_its_memory_budget_on_top_of_the_libraries",
                          "test_a_module_gets_its_memory_budget_on_top_of_the_libraries_and_cannot_raise_it_back",
                          "test_a_setsid_daemon_and_a_fork_bomb_end_with_the_child",
                          "test_honest_children_beside_attackers_are_graded_as_before"),
    "test_lab2a_notebook.py": ("test_code_block_3_alone_as_simplenn_py_runs_after_the_handouts_blocks",),
    "test_module_environment.py": ("test_a_declared_package_is_imported_here_only_when_the_students_file_failed_to_import",
                                   "test_a_notebooks_imports_are_checked_cell_by_cell",
                                   "test_the_memory_budget_of_a_graded_file_is_on_top_of_the_torch_it_imports"),
    "test_module_grading.py": ("test_wrong_functions_lose_their_part_only_with_a_precise_message", "test_a_backward_that_needs_another_layout_than_its_forward_still_fails",
                               "test_a_consistently_transposed_layout_costs_one_point_of_DNNforward_only",
                               "test_aliased_weight_lists_are_caught_at_every_epoch",
                               "test_prelu_accepts_either_one_sided_derivative_at_zero",
                               "test_problem_option_overrides_the_file_name",
                               "test_the_template_filled_in_correctly_scores_full_marks"),
    "test_module_numpy_ann.py": ("test_a_nearest_neighbour_in_place_of_training_scores_nothing_overall",
                                 "test_the_overall_accuracy_is_that_of_the_trained_weights"),
    "test_module_torch_structure.py": ("test_the_layers_a_network_defines_are_graded_when_a_later_layer_raises", "test_another_years_network_earns_nothing_for_its_output_shape",),
    "test_notebooks.py": ("test_module_code_across_cells_grades_as_the_same_py_and_names_the_cell", "test_a_notebook_named_for_nothing_is_graded_as_the_problem_given",
                          "test_the_template_notebook_unchanged_is_not_answered_everywhere"),
    "test_sandbox_resources.py": ("test_a_non_reaping_pid_1_cannot_use_the_sandbox_uids_up",
                                  "test_the_cpu_of_a_daemon_a_function_starts_is_charged_to_its_call"),
    "test_submission.py": ("test_the_time_limit_of_a_computing_file_is_cpu_time_not_the_wall_clock", "test_infinite_loop_times_out",),
    "test_submission_links.py": ("test_a_class_with_links_grades_each_attacker_zero_and_the_honest_unharmed",
                                 "test_cli_grade_tells_the_instructor"),
    "test_terminal_injection.py": ("test_the_batch_summary_and_feedback_files_are_escaped",),
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by these marks
def pytest_collection_modifyitems(config, items):
    """Mark the slow tier (``-m "not slow"`` leaves it out); a name in SLOW_TESTS that no longer exists is an
    error, so the list cannot rot silently."""
    seen = set()
    for item in items:
        file = item.path.name
        name = item.originalname if hasattr(item, "originalname") else item.name
        if file in SLOW_FILES or name in SLOW_TESTS.get(file, ()):
            item.add_marker(pytest.mark.slow)
            seen.add((file, name))
    collected = {item.path.name for item in items}
    stale = [f"{f}::{n}" for f, names in SLOW_TESTS.items() if f in collected for n in names if (f, n) not in seen]
    by_node_id = any("::" in str(arg) for arg in config.invocation_params.args)
    if stale and not config.getoption("keyword") and not by_node_id:
        raise pytest.UsageError(f"tests/conftest.py SLOW_TESTS names tests that do not exist: {', '.join(stale)}")
