// Package cli holds the commands of stemreduce, one file per command. Each command has an
// options struct with its own AddFlags and a run function that takes the context, the
// options, the communicator and its outputs, and returns an error. Run parses the command
// line identically on every rank, so a usage error is found by every rank before the first
// collective call; only rank 0 writes results and messages meant for the user.
//
// The run command (job.go, jobrun.go) runs a job file: its tables hold the flags of the
// commands, parsed by the commands' own flag sets, and its stages call the same code the
// commands do (runPass, pcaRun.fit, the stored-PCA path of ica and umap), writing one
// output; framecache.go lets the UDF pass keep the frames the PCA reads next.
package cli
