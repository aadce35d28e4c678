// A worker a bad plugin starts (see plugins.ts); it does nothing.
self.close();
