"""Model access: one `Run` per request, with budgets, retries, repairs, traces and prices.

Modules, each importing only those above it (and the runtime's `errors`, `settings`, `scope`):
  completion, retry, secrets, bpe, fake_values -> tokens, prices, failures, budget, replies,
  trace -> bounds, calltypes, structured, simulated -> openai_backend -> litellm_backend ->
  attempts -> models (`Run`) -> tally (per-step totals read from a Run).
Public names are re-exported lazily by the `runtime` package (`from runtime import Run`).
"""
