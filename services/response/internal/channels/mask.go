package channels

import "strings"

// Mask hides most of a phone number or e-mail address, for logs and for
// readers who may know that a contact exists but not what it is:
// 13812345678 → 138****5678, zhang.san@example.com → z***@example.com.
func Mask(contact string) string {
	if local, domain, ok := strings.Cut(contact, "@"); ok {
		if local == "" {
			return "***@" + domain
		}
		r := []rune(local)
		return string(r[0]) + "***@" + domain
	}
	r := []rune(contact)
	switch {
	case len(r) <= 4:
		return strings.Repeat("*", len(r))
	case len(r) < 11: // a landline: its last two digits only
		return strings.Repeat("*", len(r)-2) + string(r[len(r)-2:])
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

// Scrub replaces every contact of to found in text by its mask, so that a
// provider's error message quoting a number does not put it in the log.
func Scrub(text string, to []Contact) string {
	for _, c := range to {
		for _, v := range []string{c.Phone, c.Email} {
			if v != "" {
				text = strings.ReplaceAll(text, v, Mask(v))
			}
		}
	}
	return text
}
