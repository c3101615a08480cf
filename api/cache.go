package api

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/handoffhq/handoff/postgres"
)

// The read caches: inbox pages (GET /v1/tasks for an assignee's open tasks) and API keys.
// They are the API's hottest reads, so answers are kept in memory and dropped as soon as
// Postgres says they changed: triggers on tasks, users and api_keys notify the change
// feed at commit (migration 007), and one listener connection per API instance applies
// each notification in commit order.
//
// How fresh an answer is:
//   - A request that changed something (any POST, PUT or DELETE) is answered only after
//     this instance has seen every change committed before the answer, so the caller's
//     next read through this instance sees its own change: the next task of a
//     completion, a revoked key refused.
//   - Other changes (another instance's, the worker's timers and escalations) reach the
//     cache when their notification arrives; Postgres sends it at commit.
//   - Never more than cacheMaxStale behind: the instance sends itself a marker through the
//     feed every cacheHeartbeat; a marker that arrives proves every change committed
//     before it was sent has been seen. When none has arrived for cacheMaxStale (a
//     stalled connection, a listener that fell behind) or the connection is down,
//     nothing is answered from memory; every cached answer is dropped when a new
//     connection listens, since notifications sent meanwhile are lost.
//
// Every answer is stamped with the epoch (bumped when everything is dropped) and the sum
// of the generations of what it depends on (each notification bumps a generation; they
// only grow, so the sum changes with any of them). An entry answers only while its stamp
// is current. The stamp is read before Postgres is, so a change that lands during the
// read leaves the entry stale-stamped, never a stale entry fresh-stamped.

// cacheHeartbeat is how often an instance sends itself a marker; cacheMaxStale is how
// old the last one to arrive may be for the caches to answer; cacheSyncWait is how long
// a changing request waits for its marker before it turns the caches off until a later
// marker arrives.
const (
	cacheHeartbeat = 200 * time.Millisecond
	cacheMaxStale  = time.Second
	cacheSyncWait  = time.Second
)

// maxCachedKeys bounds the API key cache, and maxInboxGens the generations kept: beyond
// them the caches start over.
const (
	maxCachedKeys = 10000
	maxInboxGens  = 1 << 20
)

type stamp struct{ epoch, gen uint64 }

// readCaches holds both caches and the state of the change feed.
type readCaches struct {
	db       *postgres.DB
	log      *slog.Logger
	maxBytes int64
	instance string // the prefix of this instance's sync tokens
	reads    *prometheus.CounterVec

	mu        sync.Mutex
	listening bool      // the listener is connected and has applied every notification since
	fresh     time.Time // every change committed before it has been applied (the last marker's sending)
	needFresh time.Time // the caches are off until fresh reaches it (a sync that was not confirmed)
	seq       uint64    // the last marker sent
	markers   map[uint64]marker
	epoch     uint64
	inboxGen  map[string]uint64 // principal → generation
	dirGen    uint64
	pages     map[string]*list.Element // of *cachedPage, most recently used first
	lru       *list.List
	bytes     int64
	keys      map[string]cachedKey // API key hash → its user

	stop context.CancelFunc
	done chan struct{}
}

// marker is one of this instance's markers in flight.
type marker struct {
	sent time.Time
	seen chan struct{} // closed when it arrives; nil for a heartbeat
}

type cachedPage struct {
	key     string
	stamp   stamp
	body    []byte
	expires time.Time // the first due date on the page still ahead: its overdue flag turns then
}

type cachedKey struct {
	stamp stamp
	user  postgres.Credential
}

// newReadCaches starts listening to the change feed. maxBytes bounds the inbox pages.
func newReadCaches(db *postgres.DB, maxBytes int64, log *slog.Logger, reg prometheus.Registerer) *readCaches {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	c := &readCaches{db: db, log: log, maxBytes: maxBytes, instance: hex.EncodeToString(b) + ":",
		inboxGen: map[string]uint64{}, markers: map[uint64]marker{},
		pages: map[string]*list.Element{}, lru: list.New(), keys: map[string]cachedKey{},
		done: make(chan struct{})}
	if reg != nil {
		c.reads = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "handoff_api_cache_reads_total",
			Help: "Reads of the API's read caches, by cache (inbox, keys) and result (hit, miss, off).",
		}, []string{"cache", "result"})
		if err := reg.Register(c.reads); err != nil {
			log.Error("cache metrics are off", "error", err)
			c.reads = nil
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	go c.listen(ctx)
	go c.heartbeat(ctx)
	return c
}

// close stops the listener.
func (c *readCaches) close() {
	c.stop()
	<-c.done
}

// listen applies the change feed, reconnecting after a failure.
func (c *readCaches) listen(ctx context.Context) {
	defer close(c.done)
	for {
		err := c.db.ListenChanges(ctx, c.ready, c.apply)
		c.mu.Lock()
		c.listening = false
		c.dropAll()
		for _, m := range c.markers { // nothing is answered from memory now: none need wait
			if m.seen != nil {
				close(m.seen)
			}
		}
		clear(c.markers)
		c.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		c.log.Warn("api: the read caches are off until the change feed is back", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// heartbeat sends a marker every cacheHeartbeat while the feed is listened to.
func (c *readCaches) heartbeat(ctx context.Context) {
	t := time.NewTicker(cacheHeartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := c.mark(ctx, false); err != nil && ctx.Err() == nil {
			c.log.Debug("api: read caches heartbeat", "error", err)
		}
	}
}

func (c *readCaches) ready() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropAll() // what changed while nobody listened is unknown
	c.listening, c.fresh = true, time.Now()
}

// apply takes one notification into account.
func (c *readCaches) apply(ch postgres.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case ch.AllInboxes:
		c.dropAll()
	case ch.Directory:
		c.dirGen++
	case ch.Sync != "":
		rest, ours := strings.CutPrefix(ch.Sync, c.instance)
		seq, err := strconv.ParseUint(rest, 10, 64)
		m, ok := c.markers[seq]
		if !ours || err != nil || !ok {
			return // another instance's, or one given up on
		}
		delete(c.markers, seq)
		if m.sent.After(c.fresh) {
			c.fresh = m.sent
		}
		if m.seen != nil {
			close(m.seen)
		}
	default:
		if len(c.inboxGen) > maxInboxGens {
			c.dropAll()
		}
		for _, p := range ch.Inboxes {
			c.inboxGen[p]++
		}
	}
}

// dropAll forgets every answer. The caller holds c.mu.
func (c *readCaches) dropAll() {
	c.epoch++
	clear(c.inboxGen)
	clear(c.pages)
	c.lru.Init()
	c.bytes = 0
	clear(c.keys)
}

// on reports whether the caches may answer. The caller holds c.mu.
func (c *readCaches) on() bool {
	return c.listening && !c.fresh.Before(c.needFresh) && time.Since(c.fresh) <= cacheMaxStale
}

// mark sends a marker through the feed; wait makes the returned channel close when it
// arrives. It sends nothing while the feed is not listened to.
func (c *readCaches) mark(ctx context.Context, wait bool) (<-chan struct{}, error) {
	c.mu.Lock()
	if !c.listening {
		c.mu.Unlock()
		return nil, nil
	}
	c.seq++
	seq, m := c.seq, marker{sent: time.Now()}
	if wait {
		m.seen = make(chan struct{})
	}
	c.markers[seq] = m
	c.mu.Unlock()
	if err := c.db.SyncChanges(ctx, c.instance+strconv.FormatUint(seq, 10)); err != nil {
		c.mu.Lock()
		delete(c.markers, seq)
		c.mu.Unlock()
		return nil, err
	}
	return m.seen, nil
}

// sync waits until the listener has applied every change committed before it was
// called. Changing requests call it before they answer. When that cannot be confirmed,
// the caches answer nothing until a marker sent later has arrived.
func (c *readCaches) sync(ctx context.Context) {
	seen, err := c.mark(ctx, true)
	if seen == nil && err == nil {
		return // not listening: nothing is answered from memory, and a new listener drops everything first
	}
	if err == nil {
		t := time.NewTimer(cacheSyncWait)
		defer t.Stop()
		select {
		case <-seen:
			return
		case <-ctx.Done():
		case <-t.C:
			c.log.Warn("api: the change feed is behind; the read caches are off until it catches up")
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.needFresh = time.Now()
}

// inboxStamp is the current stamp of the inboxes of principals; false when the caches
// are off.
func (c *readCaches) inboxStamp(principals []string) (stamp, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on() {
		c.count("inbox", "off")
		return stamp{}, false
	}
	s := stamp{epoch: c.epoch}
	for _, p := range principals {
		s.gen += c.inboxGen[p]
	}
	return s, true
}

// page returns the cached body for key if it is current.
func (c *readCaches) page(key string, s stamp, now time.Time) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.pages[key]
	if !ok {
		c.count("inbox", "miss")
		return nil
	}
	p := e.Value.(*cachedPage)
	if p.stamp != s || !now.Before(p.expires) {
		c.removePage(e)
		c.count("inbox", "miss")
		return nil
	}
	c.lru.MoveToFront(e)
	c.count("inbox", "hit")
	return p.body
}

// putPage keeps body for key, read after s was taken.
func (c *readCaches) putPage(key string, s stamp, body []byte, expires time.Time) {
	size := int64(len(body) + len(key))
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on() || s.epoch != c.epoch || size > c.maxBytes/16 {
		return
	}
	if e, ok := c.pages[key]; ok {
		c.removePage(e)
	}
	c.pages[key] = c.lru.PushFront(&cachedPage{key: key, stamp: s, body: body, expires: expires})
	c.bytes += size
	for c.bytes > c.maxBytes {
		c.removePage(c.lru.Back())
	}
}

func (c *readCaches) removePage(e *list.Element) {
	p := c.lru.Remove(e).(*cachedPage)
	delete(c.pages, p.key)
	c.bytes -= int64(len(p.body) + len(p.key))
}

// user returns the cached user of an API key hash, if current.
func (c *readCaches) user(hash string) (postgres.Credential, stamp, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on() {
		c.count("keys", "off")
		return postgres.Credential{}, stamp{}, false
	}
	s := stamp{epoch: c.epoch, gen: c.dirGen}
	k, ok := c.keys[hash]
	if ok && k.stamp == s {
		c.count("keys", "hit")
		return k.user, s, true
	}
	c.count("keys", "miss")
	return postgres.Credential{}, s, false
}

// putUser keeps the user of an API key hash, read after s was taken.
func (c *readCaches) putUser(hash string, s stamp, u postgres.Credential) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on() || s != (stamp{epoch: c.epoch, gen: c.dirGen}) {
		return
	}
	if len(c.keys) >= maxCachedKeys {
		clear(c.keys)
	}
	c.keys[hash] = cachedKey{stamp: s, user: u}
}

func (c *readCaches) count(cache, result string) {
	if c.reads != nil {
		c.reads.WithLabelValues(cache, result).Inc()
	}
}
