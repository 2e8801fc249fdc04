// `karst groups` output: kafka-consumer-groups' tables (ConsumerGroupCommand's printOffsets,
// printMembers, printStates, printGroupStates and printOffsetsToReset, widths included) and
// the --output json documents. Pure.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/groups_command.h"
#include "client/cli/json.h"

namespace karst::cli {
namespace {

constexpr char kMissing[] = "-";  // Kafka's MISSING_COLUMN_VALUE.

// Java's "%-<width>s": left-justified, never truncated.
std::string Pad(absl::string_view text, size_t width) {
  std::string out(text);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

template <typename T>
std::string Or(const std::optional<T>& value) {
  return value.has_value() ? absl::StrCat(*value) : kMissing;
}

template <typename T>
Json JsonOr(const std::optional<T>& value) {
  if (!value.has_value()) return Json();
  if constexpr (std::is_same_v<T, std::string>) {
    return Json::String(*value);
  } else {
    return Json::Int(*value);
  }
}

// "t(0,1), u(2)", topics sorted, as printMembers --verbose.
std::string AssignmentText(const std::vector<client::TopicPartition>& assignment) {
  if (assignment.empty()) return kMissing;
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (const auto& tp : assignment) by_topic[tp.topic].push_back(tp.partition);
  std::vector<std::string> parts;
  for (auto& [topic, partitions] : by_topic) {
    std::sort(partitions.begin(), partitions.end());
    parts.push_back(absl::StrCat(topic, "(", absl::StrJoin(partitions, ","), ")"));
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace

std::vector<GroupOffsetRow> GroupOffsetRows(
    const client::ConsumerGroupDescription& group,
    const std::map<client::TopicPartition, client::CommittedOffset>& committed,
    const std::map<client::TopicPartition, client::ListedOffset>& log_end_offsets) {
  auto partition_row = [&](const client::TopicPartition& tp) {
    GroupOffsetRow row{.group = group.group_id, .topic = tp.topic, .partition = tp.partition};
    if (auto c = committed.find(tp); c != committed.end()) row.current_offset = c->second.offset;
    if (auto l = log_end_offsets.find(tp); l != log_end_offsets.end() && l->second.status.ok()) {
      row.log_end_offset = l->second.offset;
    }
    if (row.current_offset.has_value() && row.log_end_offset.has_value()) {
      row.lag = *row.log_end_offset - *row.current_offset;
    }
    return row;
  };
  std::vector<const client::GroupMemberDescription*> members;
  for (const auto& m : group.members) members.push_back(&m);
  std::stable_sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
    return a->assignment.size() > b->assignment.size();
  });
  std::vector<GroupOffsetRow> rows;
  std::set<client::TopicPartition> assigned;
  for (const client::GroupMemberDescription* m : members) {
    std::vector<client::TopicPartition> partitions = m->assignment;
    std::sort(partitions.begin(), partitions.end());
    if (partitions.empty()) rows.push_back({.group = group.group_id});
    for (const auto& tp : partitions) {
      rows.push_back(partition_row(tp));
      assigned.insert(tp);
    }
    if (partitions.empty()) partitions.resize(1);  // The one row of '-' above.
    for (size_t i = rows.size() - partitions.size(); i < rows.size(); ++i) {
      rows[i].consumer_id = m->member_id;
      rows[i].host = m->host;
      rows[i].client_id = m->client_id;
    }
  }
  for (const auto& [tp, offset] : committed) {
    if (!assigned.contains(tp)) rows.push_back(partition_row(tp));
  }
  return rows;
}

std::string FormatGroupOffsets(const std::vector<GroupOffsetRow>& rows) {
  if (rows.empty()) return "";
  size_t group = 15, topic = 15, consumer = 15, host = 15;
  for (const GroupOffsetRow& r : rows) {
    group = std::max(group, r.group.size());
    topic = std::max(topic, Or(r.topic).size());
    consumer = std::max(consumer, Or(r.consumer_id).size());
    host = std::max(host, Or(r.host).size());
  }
  auto line = [&](absl::string_view g, absl::string_view t, absl::string_view p,
                  absl::string_view current, absl::string_view end, absl::string_view lag,
                  absl::string_view c, absl::string_view h, absl::string_view client) {
    return absl::StrCat(Pad(g, group), " ", Pad(t, topic), " ", Pad(p, 10), " ", Pad(current, 15),
                        " ", Pad(end, 15), " ", Pad(lag, 15), " ", Pad(c, consumer), " ",
                        Pad(h, host), " ", client, "\n");
  };
  std::string out = "\n" + line("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET",
                                "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID");
  for (const GroupOffsetRow& r : rows) {
    out += line(r.group, Or(r.topic), Or(r.partition), Or(r.current_offset), Or(r.log_end_offset),
                Or(r.lag), Or(r.consumer_id), Or(r.host), Or(r.client_id));
  }
  return out;
}

std::string FormatGroupMembers(const client::ConsumerGroupDescription& group, bool verbose) {
  size_t group_len = std::max<size_t>(15, group.group_id.size());
  size_t consumer = 15, instance = 17, host = 15, client = 15;
  bool with_instance = false;
  for (const auto& m : group.members) {
    consumer = std::max(consumer, m.member_id.size());
    instance = std::max(instance, m.group_instance_id.value_or("").size());
    host = std::max(host, m.host.size());
    client = std::max(client, m.client_id.size());
    with_instance |= m.group_instance_id.has_value() && !m.group_instance_id->empty();
  }
  auto line = [&](absl::string_view g, absl::string_view c, absl::string_view i,
                  absl::string_view h, absl::string_view id, absl::string_view n) {
    return absl::StrCat(Pad(g, group_len), " ", Pad(c, consumer), " ",
                        with_instance ? absl::StrCat(Pad(i, instance), " ") : "", Pad(h, host), " ",
                        Pad(id, client), " ", Pad(n, 15), " ");
  };
  std::string out = absl::StrCat(
      "\n", line("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS"));
  absl::StrAppend(&out, verbose ? "ASSIGNMENT" : "", "\n");
  for (const auto& m : group.members) {
    absl::StrAppend(&out,
                    line(group.group_id, m.member_id, m.group_instance_id.value_or(""), m.host,
                         m.client_id, absl::StrCat(m.assignment.size())),
                    verbose ? AssignmentText(m.assignment) : "", "\n");
  }
  return out;
}

std::string FormatGroupState(const client::ConsumerGroupDescription& group) {
  const std::string coordinator = absl::StrCat(group.coordinator.host, ":", group.coordinator.port,
                                               "  (", group.coordinator.id, ")");
  const size_t group_len = std::max<size_t>(15, group.group_id.size());
  const size_t coordinator_len = std::max<size_t>(25, coordinator.size());
  auto line = [&](absl::string_view g, absl::string_view c, absl::string_view strategy,
                  absl::string_view state, absl::string_view members) {
    return absl::StrCat("\n", Pad(g, group_len), " ", Pad(c, coordinator_len), " ",
                        Pad(strategy, 20), " ", Pad(state, 20), " ", members);
  };
  return absl::StrCat(line("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"),
                      line(group.group_id, coordinator, group.protocol, group.state,
                           absl::StrCat(group.members.size())),
                      "\n");
}

std::string FormatGroupList(const std::vector<client::ConsumerGroupListing>& groups,
                            bool with_state) {
  std::string out;
  if (!with_state) {
    for (const auto& g : groups) absl::StrAppend(&out, g.group_id, "\n");
    return out;
  }
  size_t width = 15;
  for (const auto& g : groups) width = std::max(width, g.group_id.size());
  absl::StrAppend(&out, Pad("GROUP", width), " STATE\n");
  for (const auto& g : groups) {
    absl::StrAppend(&out, Pad(g.group_id, width), " ", g.state.empty() ? "Unknown" : g.state, "\n");
  }
  return out;
}

std::string FormatResetOffsets(
    const std::vector<std::pair<std::string, std::map<client::TopicPartition, int64_t>>>& resets) {
  auto line = [](absl::string_view g, absl::string_view t, absl::string_view p,
                 absl::string_view o) {
    return absl::StrCat(Pad(g, 30), " ", Pad(t, 30), " ", Pad(p, 10), " ", Pad(o, 15), "\n");
  };
  if (resets.empty()) return "";
  std::string out = "\n" + line("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
  for (const auto& [group, offsets] : resets) {
    for (const auto& [tp, offset] : offsets) {
      out += line(group, tp.topic, absl::StrCat(tp.partition), absl::StrCat(offset));
    }
  }
  return out;
}

std::string FormatDeletedOffsets(const std::map<client::TopicPartition, absl::Status>& results) {
  auto line = [](absl::string_view t, absl::string_view p, absl::string_view status) {
    return absl::StrCat(Pad(t, 30), " ", Pad(p, 15), " ", Pad(status, 15), "\n");
  };
  std::string out = "\n" + line("TOPIC", "PARTITION", "STATUS");
  for (const auto& [tp, status] : results) {
    out += line(tp.topic, absl::StrCat(tp.partition),
                status.ok() ? "Successful" : absl::StrCat("Error: ", status.message()));
  }
  return out;
}

std::string GroupListJson(const std::vector<client::ConsumerGroupListing>& groups) {
  Json list = Json::Array();
  for (const auto& g : groups) {
    list.Push(Json::Object({{"group", Json::String(g.group_id)},
                            {"protocol_type", Json::String(g.protocol_type)},
                            {"state", Json::String(g.state)}}));
  }
  return Json::Object({{"groups", std::move(list)}}).Dump() + "\n";
}

std::string GroupDescriptionsJson(const std::vector<client::ConsumerGroupDescription>& groups,
                                  const std::optional<std::vector<GroupOffsetRow>>& offsets) {
  Json list = Json::Array();
  for (const auto& g : groups) {
    Json members = Json::Array();
    for (const auto& m : g.members) {
      Json assignment = Json::Array();
      for (const auto& tp : m.assignment) {
        assignment.Push(Json::Object(
            {{"topic", Json::String(tp.topic)}, {"partition", Json::Int(tp.partition)}}));
      }
      members.Push(Json::Object({{"consumer_id", Json::String(m.member_id)},
                                 {"group_instance_id", JsonOr(m.group_instance_id)},
                                 {"client_id", Json::String(m.client_id)},
                                 {"host", Json::String(m.host)},
                                 {"assignment", std::move(assignment)}}));
    }
    Json entry =
        Json::Object({{"group", Json::String(g.group_id)},
                      {"state", Json::String(g.state)},
                      {"protocol_type", Json::String(g.protocol_type)},
                      {"protocol", Json::String(g.protocol)},
                      {"coordinator", Json::Object({{"id", Json::Int(g.coordinator.id)},
                                                    {"host", Json::String(g.coordinator.host)},
                                                    {"port", Json::Int(g.coordinator.port)}})},
                      {"members", std::move(members)}});
    if (offsets.has_value()) {
      Json rows = Json::Array();
      for (const GroupOffsetRow& r : *offsets) {
        if (r.group != g.group_id) continue;
        rows.Push(Json::Object({{"topic", JsonOr(r.topic)},
                                {"partition", JsonOr(r.partition)},
                                {"current_offset", JsonOr(r.current_offset)},
                                {"log_end_offset", JsonOr(r.log_end_offset)},
                                {"lag", JsonOr(r.lag)},
                                {"consumer_id", JsonOr(r.consumer_id)},
                                {"host", JsonOr(r.host)},
                                {"client_id", JsonOr(r.client_id)}}));
      }
      entry.Set("offsets", std::move(rows));
    }
    list.Push(std::move(entry));
  }
  return Json::Object({{"groups", std::move(list)}}).Dump() + "\n";
}

std::string ResetOffsetsJson(
    const std::vector<std::pair<std::string, std::map<client::TopicPartition, int64_t>>>& resets,
    bool executed) {
  Json list = Json::Array();
  for (const auto& [group, offsets] : resets) {
    for (const auto& [tp, offset] : offsets) {
      list.Push(Json::Object({{"group", Json::String(group)},
                              {"topic", Json::String(tp.topic)},
                              {"partition", Json::Int(tp.partition)},
                              {"new_offset", Json::Int(offset)}}));
    }
  }
  return Json::Object({{"offsets", std::move(list)}, {"executed", Json::Bool(executed)}}).Dump() +
         "\n";
}

}  // namespace karst::cli
