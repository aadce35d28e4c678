// A worker that dies of an uncaught non-Error (see plugins.ts).
throw "a string from a worker";
