// A plugin module that throws a non-Error when it is imported (see plugins.ts).
throw { not: "an error" };
export const Never = {};
