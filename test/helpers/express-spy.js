// Preloaded into a test server (NODE_OPTIONS=--require): every request Express's application
// handles is written to stderr, so a test can see which requests went through Express at all.
'use strict';
const express = require('express');

const handle = express.application.handle;
express.application.handle = function spiedHandle(req, res, callback) {
  process.stderr.write(`express-spy: ${req.method} ${req.url}\n`);
  return handle.call(this, req, res, callback);
};
