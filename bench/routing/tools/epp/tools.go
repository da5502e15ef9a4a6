//go:build tools

// The EPP command, listed so `go mod tidy` keeps its dependencies.
package tools

import _ "sigs.k8s.io/gateway-api-inference-extension/cmd/epp"
