#!/nonexistent/interpreter
# Test helper for test_exec: execve() fails (ENOENT for the interpreter).
