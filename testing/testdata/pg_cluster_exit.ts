// Starts a throwaway cluster, prints its data directory, then ends as told: "return" (the
// module finishes), "throw" (an uncaught error) or "reject" (an unhandled rejection), without
// stopping the cluster. Used by pg_cluster_test.ts.
import { startPgCluster } from "../pg_cluster.ts";

const cluster = await startPgCluster();
console.log(cluster.dataDir);
const how = Deno.args[0];
if (how === "throw") throw new Error("an uncaught error");
if (how === "reject") Promise.reject(new Error("an unhandled rejection"));
