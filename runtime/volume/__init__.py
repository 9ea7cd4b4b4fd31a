"""Volume: `batch` and `worker` on DBOS, durable per request and per model call.

Nothing here imports DBOS or SQLAlchemy at import time: `run` never pays for them. The parts:
`inputs` reads INPUT.jsonl and OUT.jsonl, `store` keeps the call journal, the batch budget,
the rate-limit windows and the results in the same database as DBOS's queue, `durable` makes a
Run's model calls durable, `engine` runs requests as DBOS workflows, `batch` drives a batch.
"""
