// Package sysmem reports the machine's physical memory, for the memory
// budget that descent checks before it allocates (graph.Config.MaxMemory).
package sysmem
