package group

// The server-side assignors of KIP-848 groups: uniform (balanced and
// sticky: members keep what they had up to their fair share) and range
// (per topic, contiguous ranges, as the classic range assignor).

import (
	"slices"
	"sort"
)

// assign computes the target assignment: subs gives each member's
// subscribed topics, sig the topics' IDs and partition counts, prev the
// current owner of each partition.
func assign(assignor string, subs map[string][]string, sig map[string]topicSig, prev map[tp]string) map[string][]tp {
	out := map[string][]tp{}
	members := make([]string, 0, len(subs))
	for m := range subs {
		members = append(members, m)
		out[m] = nil
	}
	sort.Strings(members)
	if assignor == "range" {
		assignRange(members, subs, sig, out)
	} else {
		assignUniform(members, subs, sig, prev, out)
	}
	for _, ps := range out {
		sortTPs(ps)
	}
	return out
}

func assignRange(members []string, subs map[string][]string, sig map[string]topicSig, out map[string][]tp) {
	byTopic := map[string][]string{}
	for _, m := range members {
		for _, t := range subs[m] {
			byTopic[t] = append(byTopic[t], m)
		}
	}
	for topic, ms := range byTopic {
		s := sig[topic]
		n := int32(len(ms))
		per, extra := s.Partitions/n, s.Partitions%n
		p := int32(0)
		for i, m := range ms {
			take := per
			if int32(i) < extra {
				take++
			}
			for k := int32(0); k < take; k++ {
				out[m] = append(out[m], tp{Topic: s.ID, Partition: p})
				p++
			}
		}
	}
}

func assignUniform(members []string, subs map[string][]string, sig map[string]topicSig, prev map[tp]string, out map[string][]tp) {
	eligible := map[tp][]string{}
	var all []tp
	for _, m := range members {
		for _, t := range subs[m] {
			s := sig[t]
			for p := int32(0); p < s.Partitions; p++ {
				k := tp{Topic: s.ID, Partition: p}
				if eligible[k] == nil {
					all = append(all, k)
				}
				eligible[k] = append(eligible[k], m)
			}
		}
	}
	if len(all) == 0 {
		return
	}
	sortTPs(all)
	var active []string
	for _, m := range members {
		if len(subs[m]) > 0 {
			active = append(active, m)
		}
	}
	quota, extra := len(all)/len(active), len(all)%len(active)
	taken := map[tp]bool{}
	// Sticky first: each member keeps up to its fair share of what it had,
	// then up to `extra` members keep one more.
	kept := map[string][]tp{}
	for _, k := range all {
		if owner, ok := prev[k]; ok && slices.Contains(eligible[k], owner) {
			kept[owner] = append(kept[owner], k)
		}
	}
	for _, m := range active {
		for _, k := range kept[m] {
			if len(out[m]) >= quota {
				break
			}
			out[m], taken[k] = append(out[m], k), true
		}
	}
	for _, m := range active {
		if extra == 0 {
			break
		}
		for _, k := range kept[m] {
			if !taken[k] {
				out[m], taken[k] = append(out[m], k), true
				extra--
				break
			}
		}
	}
	// The rest, most constrained first, to the eligible member with the
	// fewest partitions.
	var rest []tp
	for _, k := range all {
		if !taken[k] {
			rest = append(rest, k)
		}
	}
	sort.SliceStable(rest, func(i, j int) bool { return len(eligible[rest[i]]) < len(eligible[rest[j]]) })
	for _, k := range rest {
		best := ""
		for _, m := range eligible[k] {
			if best == "" || len(out[m]) < len(out[best]) {
				best = m
			}
		}
		out[best] = append(out[best], k)
	}
}
