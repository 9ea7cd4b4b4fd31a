"""Conversations: `chat` keeps a session (state, rolling summary, recent turns) in a store.

Each turn runs the project's workflow once on the new message with the session's context,
then one small structured call updates the session state (goal, facts, decisions, phase); every
`summarize_after` turns one more call folds the turns so far into the rolling summary.
Importing this package imports no database driver; the store does, when a session opens.
"""
