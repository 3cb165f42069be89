package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/logfield"
	"github.com/hearth-dev/hearth/shared/logmask"
)

// Session-owned names for the masked copies of a job's logs (doc.go:
// "Masking").
const (
	maskedDir  = "masked"      // masked/<step>.log: what is shipped
	maskedFile = "masked.json" // how far each copy got (maskRecord)
)

// Pump sizes: what one poll copies of one running job at most (so a
// burst of output cannot stall the session's goroutine for long), and the
// read size.
const (
	pumpBudget = 16 << 20
	pumpRead   = 256 << 10
)

// maskRecord is masked.json: per step, the raw log bytes whose masked
// output is in the copy, and the copy's length. A restarted pump truncates
// each copy to Masked and continues from Raw.
type maskRecord struct {
	Steps []maskRecordStep `json:"steps"`
}

type maskRecordStep struct {
	Raw    uint64 `json:"raw"`
	Masked uint64 `json:"masked"`
}

// jobMasker returns the masker of a RunJob's secret values: every file,
// every secret variable and, when the steps have it (withTelemetry), the
// job's token.
func jobMasker(rj *agentv1.RunJob) *logmask.Masker {
	values := make([][]byte, 0, len(rj.GetFiles())+len(rj.GetSecretEnv()))
	for _, v := range rj.GetFiles() {
		values = append(values, v)
	}
	for _, v := range rj.GetSecretEnv() {
		values = append(values, []byte(v))
	}
	if tok := exposedToken(rj); tok != nil {
		values = append(values, tok)
	}
	return logmask.New(values)
}

// pump turns each step's raw log (logs/<n>.log, the runner's) into its
// masked copy (masked/<n>.log), which the session ships instead. Owned by
// Run's goroutine.
type pump struct {
	dir    string
	masker *logmask.Masker // inactive once the values are gone (an agent restart)
	steps  []*pumpStep
	buf    []byte
	// dirty: a record changed since masked.json was written; failing: the
	// last write of masked.json (or of a copy) failed and was logged.
	dirty   bool
	failing bool
}

type pumpStep struct {
	raw, out *os.File // nil until the raw log exists
	stream   *logmask.Stream
	start    uint64 // the raw offset stream started at
	fed      uint64 // raw bytes read
	rawSize  uint64 // the raw log's size when last checked
	rec      maskRecordStep
	// saved is the copy's length recorded in masked.json: only that much
	// is shipped, so a restart never finds sent bytes it would produce
	// differently.
	saved uint64
	// unwritten: output of stream that did not reach the copy yet (a write
	// failed), standing for raw bytes up to unwrittenRaw.
	unwritten    []byte
	unwrittenRaw uint64
}

func maskedPath(dir string, step int) string {
	return filepath.Join(dir, maskedDir, strconv.Itoa(step)+".log")
}

// createPump records that the job's logs are shipped masked (masked.json,
// synced, and the masked directory) before job.json exists, so a restart
// never ships them raw.
func createPump(dir string, m *logmask.Masker, steps int) (*pump, error) {
	if err := os.Mkdir(filepath.Join(dir, maskedDir), 0o700); err != nil {
		return nil, err
	}
	p := &pump{dir: dir, masker: m, steps: make([]*pumpStep, steps)}
	for i := range p.steps {
		p.steps[i] = &pumpStep{stream: m.Stream()}
	}
	b, err := json.Marshal(p.record())
	if err != nil {
		return nil, err
	}
	if err := runner.WriteFileAtomic(filepath.Join(dir, maskedFile), b); err != nil {
		return nil, err
	}
	return p, nil
}

// loadPump reads masked.json of a job an earlier agent started: (nil, nil)
// when its logs are shipped raw. The values are not on disk, so the rest of
// the log is copied unmasked, from where the copy got.
func loadPump(dir string, steps int) (*pump, error) {
	b, err := os.ReadFile(filepath.Join(dir, maskedFile)) //nolint:gosec // G304: the agent's own job directory
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil //nolint:nilnil // documented: not a masked job
	}
	if err != nil {
		return nil, err
	}
	var rec maskRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", maskedFile, err)
	}
	inactive := logmask.New(nil)
	p := &pump{dir: dir, masker: inactive, steps: make([]*pumpStep, steps)}
	for i := range p.steps {
		ps := &pumpStep{stream: inactive.Stream()}
		if i < len(rec.Steps) {
			ps.rec = rec.Steps[i]
			ps.start, ps.fed, ps.saved = ps.rec.Raw, ps.rec.Raw, ps.rec.Masked
		}
		p.steps[i] = ps
	}
	return p, nil
}

func (p *pump) record() maskRecord {
	rec := maskRecord{Steps: make([]maskRecordStep, len(p.steps))}
	for i, ps := range p.steps {
		rec.Steps[i] = ps.rec
	}
	return rec
}

// shippable is how many bytes of step's copy may be sent.
func (p *pump) shippable(step int) uint64 { return p.steps[step].saved }

// settled reports whether every raw byte seen is in the copies, recorded.
func (p *pump) settled() bool {
	if p.dirty {
		return false
	}
	for _, ps := range p.steps {
		if len(ps.unwritten) > 0 || ps.fed < ps.rawSize || ps.start+ps.stream.Consumed() < ps.fed {
			return false
		}
	}
	return true
}

func (p *pump) close() {
	for _, ps := range p.steps {
		for _, f := range []*os.File{ps.raw, ps.out} {
			if f != nil {
				_ = f.Close()
			}
		}
		ps.raw, ps.out = nil, nil
	}
}

// pumpLogs copies what the runner appended to j's raw logs into the masked
// copies, then records how far they got. ended: the job ended, so every
// byte is copied and every stream flushed. While it runs, a step is
// flushed once a later step has output (runners write steps in order), so
// a step's copy is complete before the next one's bytes are shipped.
func (s *Session) pumpLogs(j *job, ended bool) {
	p := j.pump
	if j.limitHit {
		return // nothing past the frozen lengths is ever sent
	}
	for i, ps := range p.steps {
		if ps.raw == nil {
			if !ended && i > 0 && p.steps[i-1].raw == nil {
				break // runners create step logs in order
			}
			if !s.openPumpStep(j, i, ps) {
				continue
			}
		}
		if st, err := ps.raw.Stat(); err == nil {
			ps.rawSize = max(ps.rawSize, uint64(st.Size())) //nolint:gosec // G115: a file size is not negative.
		}
	}
	budget := pumpBudget
	later := false // a later step has output
	finished := make([]bool, len(p.steps))
	for i := len(p.steps) - 1; i >= 0; i-- {
		finished[i] = ended || later
		later = later || p.steps[i].rawSize > 0
	}
	for i, ps := range p.steps {
		if ps.raw != nil {
			s.pumpStep(j, i, ps, finished[i], ended, &budget)
		}
	}
	if p.dirty {
		s.saveMaskRecord(j)
	}
}

// openPumpStep opens step's raw log and its copy (created, or cut back to
// the recorded length after a restart). false: the raw log does not exist
// (yet) or something failed (logged; retried at the next poll).
func (s *Session) openPumpStep(j *job, step int, ps *pumpStep) bool {
	raw, err := os.Open(runner.LogPath(j.dir, uint32(step))) //nolint:gosec // G115: steps are bounded by ValidateJob.
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		s.log.Warn().Err(err).Str(logfield.JobID, j.id).Int(logfield.Step, step).Msg("opening a step log failed")
		return false
	}
	out, err := os.OpenFile(maskedPath(j.dir, step), os.O_RDWR|os.O_CREATE, 0o600)
	if err == nil {
		err = s.cutCopy(j, step, ps, out)
	}
	if err != nil {
		_ = raw.Close()
		if out != nil {
			_ = out.Close()
		}
		s.log.Warn().Err(err).Str(logfield.JobID, j.id).Int(logfield.Step, step).Msg("opening the masked copy of a step log failed")
		return false
	}
	ps.raw, ps.out = raw, out
	return true
}

// cutCopy drops what a copy holds past its record: bytes written before
// the agent stopped and masked.json recorded them, which the pump writes
// again from the recorded raw offset.
func (s *Session) cutCopy(j *job, step int, ps *pumpStep, out *os.File) error {
	st, err := out.Stat()
	if err != nil {
		return err
	}
	size := uint64(st.Size()) //nolint:gosec // G115: a file size is not negative.
	switch {
	case size > ps.rec.Masked:
		return out.Truncate(int64(ps.rec.Masked)) //nolint:gosec // G115: at most a file size.
	case size < ps.rec.Masked:
		// Neither the copy nor its record is synced (a host crash, not an
		// agent's, loses their tails): go on from what the copy holds. Some
		// output is lost; none is sent twice or unmasked.
		s.log.Error().Str(logfield.JobID, j.id).Int(logfield.Step, step).Uint64(logfield.Bytes, ps.rec.Masked-size).
			Msg("the masked copy of a step log is shorter than recorded; its missing bytes are lost")
		ps.rec.Masked, ps.saved = size, size
	}
	return nil
}

// pumpStep copies step's new raw bytes (within budget unless the job
// ended) and flushes its stream once the step is finished and read whole.
func (s *Session) pumpStep(j *job, step int, ps *pumpStep, finished, ended bool, budget *int) {
	p := j.pump
	if len(ps.unwritten) > 0 && !s.writeCopy(j, step, ps) {
		return
	}
	if p.buf == nil {
		p.buf = make([]byte, pumpRead)
	}
	for ps.fed < ps.rawSize && (ended || *budget > 0) {
		n := min(ps.rawSize-ps.fed, uint64(len(p.buf)))
		got, err := ps.raw.ReadAt(p.buf[:n], int64(ps.fed)) //nolint:gosec // G115: a file offset.
		if got == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				s.log.Warn().Err(err).Str(logfield.JobID, j.id).Int(logfield.Step, step).Msg("reading a step log failed")
			}
			ps.rawSize = ps.fed // the file is shorter than it was: read it again later
			return
		}
		ps.fed += uint64(got) //nolint:gosec // G115: a byte count is not negative.
		*budget -= got
		ps.unwritten, ps.unwrittenRaw = ps.stream.Write(p.buf[:got]), ps.start+ps.stream.Consumed()
		if !s.writeCopy(j, step, ps) {
			return
		}
	}
	if finished && ps.fed == ps.rawSize && ps.start+ps.stream.Consumed() < ps.fed {
		ps.unwritten, ps.unwrittenRaw = ps.stream.Flush(), ps.fed
		s.writeCopy(j, step, ps)
	}
}

// writeCopy appends ps.unwritten to the copy at its recorded length. On
// failure the copy is cut back and the same bytes are tried again later.
func (s *Session) writeCopy(j *job, step int, ps *pumpStep) bool {
	if len(ps.unwritten) == 0 {
		return true // all kept back: nothing consumed either
	}
	if _, err := ps.out.WriteAt(ps.unwritten, int64(ps.rec.Masked)); err != nil { //nolint:gosec // G115: a file offset.
		_ = ps.out.Truncate(int64(ps.rec.Masked)) //nolint:gosec // G115: as above.
		if !j.pump.failing {
			j.pump.failing = true
			s.log.Error().Err(err).Str(logfield.JobID, j.id).Int(logfield.Step, step).Msg("writing the masked copy of a step log failed; retrying")
		}
		return false
	}
	ps.rec.Masked += uint64(len(ps.unwritten))
	ps.rec.Raw = ps.unwrittenRaw
	ps.unwritten = nil
	j.pump.dirty = true
	return true
}

// saveMaskRecord writes masked.json, after the copies it describes. It is
// not synced (written every poll with output, a sync would cost more than
// the copying): the write ordering that matters survives an agent's death
// (SIGKILL, OOM); a host crash ends the job's processes too.
func (s *Session) saveMaskRecord(j *job) {
	p := j.pump
	b, err := json.Marshal(p.record())
	if err == nil {
		path := filepath.Join(j.dir, maskedFile)
		tmp := path + ".tmp"
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		if !p.failing {
			p.failing = true
			s.log.Error().Err(err).Str(logfield.JobID, j.id).Msg("recording the masked copies of the job's logs failed; retrying")
		}
		return
	}
	p.dirty, p.failing = false, false
	for _, ps := range p.steps {
		ps.saved = ps.rec.Masked
	}
}
