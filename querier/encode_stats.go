package querier

import (
	"encoding/json"

	"github.com/jetlog/jetlog/logql"
)

// The types below mirror Loki's data.stats object field for field (pkg/logqlmodel/stats),
// so that clients decoding it strictly find every field. Figures jetlog does not measure
// (caches, ingesters, index lookups, dataobj pages) are zero.

type statsResult struct {
	Summary  statsSummary  `json:"summary"`
	Querier  statsQuerier  `json:"querier"`
	Ingester statsIngester `json:"ingester"`
	Cache    statsCaches   `json:"cache"`
	Index    statsIndex    `json:"index"`
}

type statsSummary struct {
	BytesProcessedPerSecond               int64   `json:"bytesProcessedPerSecond"`
	LinesProcessedPerSecond               int64   `json:"linesProcessedPerSecond"`
	TotalBytesProcessed                   int64   `json:"totalBytesProcessed"`
	TotalLinesProcessed                   int64   `json:"totalLinesProcessed"`
	ExecTime                              float64 `json:"execTime"`
	QueueTime                             float64 `json:"queueTime"`
	Subqueries                            int64   `json:"subqueries"`
	TotalEntriesReturned                  int64   `json:"totalEntriesReturned"`
	Splits                                int64   `json:"splits"`
	Shards                                int64   `json:"shards"`
	TotalPostFilterLines                  int64   `json:"totalPostFilterLines"`
	TotalStructuredMetadataBytesProcessed int64   `json:"totalStructuredMetadataBytesProcessed"`
}

type statsQuerier struct {
	Store           statsStore `json:"store"`
	QuerierExecTime float64    `json:"querierExecTime"`
}

type statsIngester struct {
	TotalReached       int64      `json:"totalReached"`
	TotalChunksMatched int64      `json:"totalChunksMatched"`
	TotalBatches       int64      `json:"totalBatches"`
	TotalLinesSent     int64      `json:"totalLinesSent"`
	Store              statsStore `json:"store"`
}

type statsStore struct {
	TotalChunksRef                    int64        `json:"totalChunksRef"`
	TotalChunksDownloaded             int64        `json:"totalChunksDownloaded"`
	ChunksDownloadTime                int64        `json:"chunksDownloadTime"`
	QueryReferencedStructuredMetadata bool         `json:"queryReferencedStructuredMetadata"`
	Chunk                             statsChunk   `json:"chunk"`
	ChunkRefsFetchTime                int64        `json:"chunkRefsFetchTime"`
	CongestionControlLatency          int64        `json:"congestionControlLatency"`
	PipelineWrapperFilteredLines      int64        `json:"pipelineWrapperFilteredLines"`
	QueryUsedV2Engine                 bool         `json:"queryUsedV2Engine"`
	Dataobj                           statsDataobj `json:"dataobj"`
}

type statsChunk struct {
	HeadChunkBytes                      int64 `json:"headChunkBytes"`
	HeadChunkLines                      int64 `json:"headChunkLines"`
	DecompressedBytes                   int64 `json:"decompressedBytes"`
	DecompressedLines                   int64 `json:"decompressedLines"`
	CompressedBytes                     int64 `json:"compressedBytes"`
	TotalDuplicates                     int64 `json:"totalDuplicates"`
	PostFilterLines                     int64 `json:"postFilterLines"`
	HeadChunkStructuredMetadataBytes    int64 `json:"headChunkStructuredMetadataBytes"`
	DecompressedStructuredMetadataBytes int64 `json:"decompressedStructuredMetadataBytes"`
}

type statsDataobj struct {
	PrePredicateDecompressedRows                    int64 `json:"prePredicateDecompressedRows"`
	PrePredicateDecompressedBytes                   int64 `json:"prePredicateDecompressedBytes"`
	PrePredicateDecompressedStructuredMetadataBytes int64 `json:"prePredicateDecompressedStructuredMetadataBytes"`
	PostPredicateRows                               int64 `json:"postPredicateRows"`
	PostPredicateDecompressedBytes                  int64 `json:"postPredicateDecompressedBytes"`
	PostPredicateStructuredMetadataBytes            int64 `json:"postPredicateStructuredMetadataBytes"`
	PostFilterRows                                  int64 `json:"postFilterRows"`
	PagesScanned                                    int64 `json:"pagesScanned"`
	PagesDownloaded                                 int64 `json:"pagesDownloaded"`
	PagesDownloadedBytes                            int64 `json:"pagesDownloadedBytes"`
	PageBatches                                     int64 `json:"pageBatches"`
	TotalRowsAvailable                              int64 `json:"totalRowsAvailable"`
	TotalPageDownloadTime                           int64 `json:"totalPageDownloadTime"`
}

type statsCaches struct {
	Chunk               statsCache `json:"chunk"`
	Index               statsCache `json:"index"`
	Result              statsCache `json:"result"`
	StatsResult         statsCache `json:"statsResult"`
	VolumeResult        statsCache `json:"volumeResult"`
	SeriesResult        statsCache `json:"seriesResult"`
	LabelResult         statsCache `json:"labelResult"`
	InstantMetricResult statsCache `json:"instantMetricResult"`
}

type statsCache struct {
	EntriesFound      int64 `json:"entriesFound"`
	EntriesRequested  int64 `json:"entriesRequested"`
	EntriesStored     int64 `json:"entriesStored"`
	BytesReceived     int64 `json:"bytesReceived"`
	BytesSent         int64 `json:"bytesSent"`
	Requests          int64 `json:"requests"`
	DownloadTime      int64 `json:"downloadTime"`
	QueryLengthServed int64 `json:"queryLengthServed"`
}

type statsIndex struct {
	TotalChunks         int64 `json:"totalChunks"`
	PostFilterChunks    int64 `json:"postFilterChunks"`
	ShardsDuration      int64 `json:"shardsDuration"`
	UsedBloomFilters    bool  `json:"usedBloomFilters"`
	BloomFilterTime     int64 `json:"bloomFilterTime"`
	ChunkRefsLookupTime int64 `json:"chunkRefsLookupTime"`
	TotalStreams        int64 `json:"totalStreams"`
}

// newStatsResult fills Loki's structure from the engine's figures: processed bytes and lines
// are what the querier decompressed and scanned (jetlog has no ingesters: the bus tail is
// read by the querier itself).
func newStatsResult(s logql.Stats) statsResult {
	var r statsResult
	r.Summary = statsSummary{
		TotalBytesProcessed:  s.TotalBytesProcessed,
		TotalLinesProcessed:  s.TotalLinesProcessed,
		ExecTime:             s.ExecTimeSeconds,
		QueueTime:            s.QueueTimeSeconds,
		Subqueries:           s.Subqueries,
		TotalEntriesReturned: s.TotalEntriesReturned,
		Splits:               s.Splits,
		Shards:               s.Shards,
	}
	if s.ExecTimeSeconds > 0 {
		r.Summary.BytesProcessedPerSecond = int64(float64(s.TotalBytesProcessed) / s.ExecTimeSeconds)
		r.Summary.LinesProcessedPerSecond = int64(float64(s.TotalLinesProcessed) / s.ExecTimeSeconds)
	}
	r.Querier.QuerierExecTime = s.ExecTimeSeconds
	r.Querier.Store.TotalChunksRef = s.TotalChunksRef
	r.Querier.Store.TotalChunksDownloaded = s.TotalChunksDownloaded
	r.Querier.Store.Chunk.DecompressedBytes = s.TotalBytesProcessed
	r.Querier.Store.Chunk.DecompressedLines = s.TotalLinesProcessed
	r.Index.TotalChunks = s.TotalChunksRef
	return r
}

// appendStats appends the data.stats object.
func appendStats(dst []byte, s logql.Stats) []byte {
	b, err := json.Marshal(newStatsResult(s))
	if err != nil {
		// Plain structs of numbers and bools always marshal.
		return append(dst, "{}"...)
	}
	return append(dst, b...)
}

// mergeStats adds b's figures to a (multi-tenant queries).
func mergeStats(a, b logql.Stats) logql.Stats {
	a.TotalBytesProcessed += b.TotalBytesProcessed
	a.TotalLinesProcessed += b.TotalLinesProcessed
	a.TotalEntriesReturned += b.TotalEntriesReturned
	a.TotalChunksRef += b.TotalChunksRef
	a.TotalChunksDownloaded += b.TotalChunksDownloaded
	a.ExecTimeSeconds += b.ExecTimeSeconds
	a.QueueTimeSeconds += b.QueueTimeSeconds
	a.Subqueries += b.Subqueries
	a.Splits += b.Splits
	a.Shards += b.Shards
	return a
}
