"""The fields of a planned subtask that other subtasks can depend on.

Apart from `dag.py` (the checks and waves) so the simulated planner in
`model_calls/fake_values.py` can fill them without every project vendoring the DAG checks.
"""

from __future__ import annotations

ID_FIELD = "id"
"""The field a subtask's id is in (other subtasks name it in their `depends_on`)."""
DEPENDS_FIELD = "depends_on"
"""The field listing the ids whose results a subtask needs before it runs."""
