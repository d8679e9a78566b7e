package main

import "runtime"

// Build information, set with -ldflags "-X main.version=... -X main.revision=..." by make.
var (
	version   = "0.1.0-dev"
	revision  = "unknown"
	branch    = "main"
	buildUser = "jetlog"
	buildDate = "unknown"
)

// buildInfo is Loki's /loki/api/v1/status/buildinfo document.
type buildInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	Branch    string `json:"branch"`
	BuildUser string `json:"buildUser"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
}

func currentBuildInfo() buildInfo {
	return buildInfo{version, revision, branch, buildUser, buildDate, runtime.Version()}
}
