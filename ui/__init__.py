"""User interfaces over the agent: the Gradio app, the terminal chat and how the demo is assembled."""
