// Package check validates the deployment artefacts offline: the Helm chart
// (lint, render, strict decoding into Kubernetes API types), the Dockerfile
// (BuildKit's parser and build checks plus house rules) and compose.yaml
// (the Compose specification loader). It has tests only.
package check
