// fail: a bug in user code. It reads a property of null, so JavaScript
// throws a TypeError; the kit returns it as the invocation's error with code
// `exception`, the message, and the stack in the details.

import { invokable } from "../kit/enact.js";

export const { describe, call } = invokable({
  name: "fail",
  doc: "throws a TypeError: an exception the code did not expect",
  run(config, input) {
    return input.missing.value;
  },
});
