//go:build tools

// The simulator command, listed so `go mod tidy` keeps its dependencies.
package tools

import _ "github.com/llm-d/llm-d-inference-sim/cmd/llm-d-inference-sim"
