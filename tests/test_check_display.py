"""How a check shows its verdict: styled and never raising in a learner's kernel, raising under grading.

The root conftest grades (``K8SEDU_GRADING=1``); these tests unset it where
they play the learner.
"""

import pytest

from k8sedu.checks import CheckFailed, NotAnswered, check_probability
from k8sedu.checks.base import Verdict, last_verdict


@pytest.fixture
def learner(monkeypatch):
    monkeypatch.delenv("K8SEDU_GRADING", raising=False)


@pytest.mark.parametrize("answer, status, text", [
    (0.25, "passed", "✓ With 4 endpoints, rule 1 of the KUBE-SVC chain carries --probability 0.25000000000 (1/4)."),
    (0.5, "failed", "✗ 0.5 is not what kube-proxy writes on rule 1 of 4.\nHint: 0.5 is the first rule's value for 2"),
    (..., "not answered", "… Replace ... with the probability on rule 1 of the KUBE-SVC chain for 4 endpoints"),
])
def test_in_a_learners_kernel_a_check_never_raises_and_says_what_it_found(learner, capsys, answer, status, text):
    assert check_probability(answer, n=4) is None  # nothing returned: a check on a cell's last line shows once
    assert last_verdict().status == status
    assert capsys.readouterr().out.startswith(text)


def test_under_grading_a_wrong_answer_raises_check_failed_and_a_blank_not_answered():
    with pytest.raises(CheckFailed, match="0.5 is not what kube-proxy writes"):
        check_probability(0.5, n=4)
    with pytest.raises(NotAnswered, match="^not answered yet: replace"):
        check_probability(..., n=4)


def test_the_styled_verdict_names_the_mistake_and_the_hint_and_shows_no_source():
    failed = Verdict("failed", "The Service selects app=currency", "label the pods app=currency or fix the selector")
    page = failed._repr_html_()
    assert "✗ Not yet" in page and "<b>Hint:</b> label the pods" in page and "Traceback" not in page
    assert "✓ Correct" in Verdict("passed", "4 ready pods")._repr_html_()
    assert "Not answered yet" in Verdict("not answered", "replace ...")._repr_html_()
    assert "&lt;script&gt;" in Verdict("failed", "<script>", "x")._repr_html_()  # learners' text is escaped


def test_a_kubectl_error_inside_a_check_is_a_failure_with_a_hint_not_a_traceback(learner, capsys):
    from k8sedu import Cluster
    from k8sedu.checks import check_fqdn

    check_fqdn("currency-exchange.default.svc.cluster.local", Cluster(seed=1), from_namespace="nowhere")
    verdict = last_verdict()
    assert verdict.status == "failed" and "Traceback" not in capsys.readouterr().out
