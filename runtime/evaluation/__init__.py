"""`eval`: the project's workflow against the rung below and prompt variants, on the user's cases.

Imported only by the generated project's `eval` command. Calls made for the comparison itself
(other variants, the judge, the prompt optimizer) run under the `eval` step scope, so their
trace lines read `eval>...` and `estimate --from-trace` can tell them from the project's own.
"""

from __future__ import annotations

from ..scope import EVAL_SCOPE as EVAL_SCOPE  # defined beside the step paths it begins

JUDGE_STEP = "judge"
"""The judge's step name: its trace lines read `eval>judge`."""
OPTIMIZE_STEP = "optimize"
"""The prompt optimizer's step name: `eval>optimize`."""
