"""The agent proper: the ReAct loop over the tool runtime and the conversation memory."""
