# Asks a model for a Python function, then runs what it wrote as a child
# invocation of the `python` runner: both the completion and the child are
# in the journal, so a replay runs neither again.
def main(input):
    source = enact.complete([
        {"role": "system", "content": "Reply with Python code only: a function main(input)."},
        {"role": "user", "content": "Write main(input) that returns the square of the number it is given."},
    ])
    return {"source": source, "result": enact.invoke("python", {"source": source}, input)}
