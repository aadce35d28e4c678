// The SandboxBackend conformance suite against a remote engine: LocalDockerBackend on a second
// dockerd this file starts on 127.0.0.1 with mutual TLS and certificates it makes
// (testing/second_dockerd.ts), reached through the same endpoint rule as DOCKER_HOST=tcp://.
// One daemon for the whole file; the last test stops it and deletes everything it made.
import { runSandboxBackendConformance } from "../../testing/sandbox_conformance.ts";
import {
  secondDockerdMissing,
  sharedSecondDockerd,
  stopSharedSecondDockerd,
} from "../../testing/second_dockerd.ts";
import { dockerTest } from "../../testing/docker.ts";
import { attackImage } from "./_test_images.ts";
import { tempStoreBackend, zuLeftovers } from "./_conformance_fixture.ts";

const missing = secondDockerdMissing();

runSandboxBackendConformance("LocalDockerBackend over TLS (second dockerd)", async () => {
  await attackImage(); // built on the main daemon; the second daemon gets a copy when it starts
  const d = await sharedSecondDockerd();
  return await tempStoreBackend({ endpoint: d.endpoint }, "zu-conf-remote-snap-");
}, {
  leftovers: zuLeftovers,
  register: (name, fn) => dockerTest(name, fn, { hostMissing: missing }),
});

dockerTest("stop the second dockerd of the remote conformance suite", stopSharedSecondDockerd, {
  hostMissing: missing,
});
