package s3

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// Config selects an S3-compatible bucket (AWS S3, MinIO). Keys follow Loki's s3 storage block
// where one exists; jetlog stores everything in a single bucket, hence `bucket`, not
// `bucketnames`.
type Config struct {
	// Endpoint is host[:port], without a scheme; Insecure selects http.
	Endpoint        string `yaml:"endpoint"`
	Bucket          string `yaml:"bucket"`
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	Region          string `yaml:"region"`
	Insecure        bool   `yaml:"insecure"`
}

// RegisterFlags registers the -s3.* flags and sets the defaults.
func (c *Config) RegisterFlags(f *flag.FlagSet) {
	f.StringVar(&c.Endpoint, "s3.endpoint", "", "S3 endpoint as host[:port], without a scheme (e.g. minio:9000).")
	f.StringVar(&c.Bucket, "s3.bucket", "jetlog", "S3 bucket holding all objects; created at start if missing.")
	f.StringVar(&c.AccessKeyID, "s3.access-key-id", "", "S3 access key ID.")
	f.StringVar(&c.SecretAccessKey, "s3.secret-access-key", "", "S3 secret access key.")
	f.StringVar(&c.Region, "s3.region", "", "S3 region; empty lets the client discover it.")
	f.BoolVar(&c.Insecure, "s3.insecure", false, "Use plain HTTP instead of HTTPS.")
}

// Validate reports every problem in the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	switch {
	case c.Endpoint == "":
		errs = append(errs, errors.New("s3.endpoint: required"))
	case strings.Contains(c.Endpoint, "://"):
		errs = append(errs, fmt.Errorf("s3.endpoint %q: give host[:port] without a scheme (set s3.insecure for http)", c.Endpoint))
	case strings.ContainsAny(c.Endpoint, "/?# "):
		errs = append(errs, fmt.Errorf("s3.endpoint %q: must be host[:port] without a path", c.Endpoint))
	}
	if err := validateBucketName(c.Bucket); err != nil {
		errs = append(errs, fmt.Errorf("s3.bucket: %w", err))
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		errs = append(errs, errors.New("s3.access-key-id and s3.secret-access-key: set both or neither"))
	}
	return errors.Join(errs...)
}

// validateBucketName applies S3's bucket naming rules (3-63 characters of lowercase letters,
// digits, '.' and '-', starting and ending with a letter or digit).
func validateBucketName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return fmt.Errorf("%q: length must be 3 to 63", name)
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		alnum := ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9'
		if !alnum && ch != '.' && ch != '-' {
			return fmt.Errorf("%q: only lowercase letters, digits, '.' and '-' allowed", name)
		}
		if !alnum && (i == 0 || i == len(name)-1) {
			return fmt.Errorf("%q: must start and end with a letter or digit", name)
		}
	}
	if strings.Contains(name, "..") {
		return fmt.Errorf("%q: must not contain \"..\"", name)
	}
	return nil
}
