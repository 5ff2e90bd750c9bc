"""The executable end-to-end evaluation: scripted chat sessions on real photos, driven through the demo's agent
and real offline tools, scored on what the tools produced (``python -m session_eval``; docs/sessions_eval.md).

It sits above ``ui`` in the layering: it builds the agent the way the demo does (``ui.launch.build_agent``).
"""
