"""Model families and tool handlers, one module per backend; imported only when a tool needs them."""
