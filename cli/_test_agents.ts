// The small agent.yaml texts the CLI tests write into temporary directories.

/** An agent.yaml with the given `provider:` block (indented lines) and no checks. */
export function agentYaml(provider: string): string {
  return `provider:
${provider}
plugins:
  detectors: []
  validators: []
task:
  query: Say hello
  max_tier: 1
`;
}

/** A scripted agent that answers "hello" in one move. */
export const HELLO_AGENT: string = agentYaml(`  name: scripted
  script:
    - text: '{"answer": "hello"}'`);
