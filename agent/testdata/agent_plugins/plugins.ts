// Module-path plugins used by config_test.ts (see README.md).

export class PriceTool {
  name: string;
  tier = 1;
  schema = {
    name: "price_tool",
    description: "Looks up a price",
    parameters: {
      type: "object",
      properties: { op: { type: "string", enum: ["read", "buy"] }, sku: { type: "string" } },
    },
  };
  write_ops = new Set(["buy"]);
  args: Record<string, unknown>;
  constructor(args: Record<string, unknown> = {}) {
    this.args = args;
    this.name = typeof args.name === "string" ? args.name : "price_tool";
  }
  call(): Promise<Record<string, unknown>> {
    return Promise.resolve({ price: "$1" });
  }
}

export function makeDetector(args: Record<string, unknown> = {}) {
  return {
    name: "price_missing",
    scope: "per_observation",
    threshold: args.threshold ?? 0,
    inspect: () => null,
  };
}

export const priceValidator = { name: "price_format", check: () => null };

export const notATool = { name: "broken" };

export const answer = 42;
