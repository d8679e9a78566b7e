package store

// SetMaxCountCells lowers the bound of CountMinutes for a test; the returned func restores it.
func SetMaxCountCells(n int64) (restore func()) {
	old := maxCountCells
	maxCountCells = n
	return func() { maxCountCells = old }
}
