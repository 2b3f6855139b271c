// Says hello, with a die the journal remembers.
function main(input) {
  console.log(`greeting ${input.name}`);
  return { greeting: `Hello, ${input.name}!`, lucky: enact.below(100) };
}
