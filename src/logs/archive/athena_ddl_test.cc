#include "logs/archive/athena_ddl.h"

#include <gtest/gtest.h>

namespace kura::logs {
namespace {

constexpr const char* kGolden = R"(-- Kura audit log archive (docs/logs.md "Athena / Trino"): zstd JSON Lines,
-- one object per line; time columns are RFC 3339 UTC strings
-- (from_iso8601_timestamp(received)); `fields` holds the JSON text of the
-- event's other fields (json_extract_scalar(fields, '$.details.grant')).
CREATE EXTERNAL TABLE IF NOT EXISTS `kura`.`audit_logs` (
  `seq` bigint,
  `received` string,
  `node` string,
  `source` string,
  `ts` string,
  `service` string,
  `event` string,
  `outcome` string,
  `principal` string,
  `origin` string,
  `resource` string,
  `reason` string,
  `host` string,
  `app` string,
  `severity` string,
  `message` string,
  `pan_redacted` int,
  `fields` string
)
PARTITIONED BY (`dt` string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
  OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://issuer-audit/kura/prod/data/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2025-06-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://issuer-audit/kura/prod/data/dt=${dt}/'
);
)";

TEST(AthenaDdlTest, Golden) {
  AthenaDdlOptions o;
  o.location = "s3://issuer-audit/kura/prod/";
  o.from_date = "2025-06-01";
  Result<std::string> ddl = AthenaDdl(o);
  ASSERT_TRUE(ddl.ok()) << ddl.status().ToString();
  EXPECT_EQ(*ddl, kGolden);
}

TEST(AthenaDdlTest, BucketRootAndCustomNames) {
  AthenaDdlOptions o;
  o.location = "s3://audit-bucket/";
  o.database = "pci";
  o.table = "logs_v1";
  Result<std::string> ddl = AthenaDdl(o);
  ASSERT_TRUE(ddl.ok()) << ddl.status().ToString();
  EXPECT_NE(ddl->find("`pci`.`logs_v1`"), std::string::npos);
  EXPECT_NE(ddl->find("LOCATION 's3://audit-bucket/data/'"), std::string::npos);
}

TEST(AthenaDdlTest, RefusesAnythingThatCouldBreakTheSql) {
  for (const char* loc : {"", "https://bucket/x/", "s3://bucket/x", "s3://bucket/x y/",
                          "s3://bucket/x'/", "s3://bucket/a\"b/", "s3://bucket/a;b/",
                          "s3://Bucket/x/", "s3://b/x/", "s3://bucket//x/", "s3:///x/",
                          "s3://bucket/${dt}/", "s3://bucket/a\\b/", "s3://bucket/a\nb/"}) {
    AthenaDdlOptions o;
    o.location = loc;
    EXPECT_EQ(AthenaDdl(o).status().code(), StatusCode::kInvalidArgument) << loc;
  }
  AthenaDdlOptions o;
  o.location = "s3://bucket/x/";
  o.table = "logs`; DROP TABLE x";
  EXPECT_EQ(AthenaDdl(o).status().code(), StatusCode::kInvalidArgument);
  o.table = "audit_logs";
  o.database = "1db";
  EXPECT_EQ(AthenaDdl(o).status().code(), StatusCode::kInvalidArgument);
  o.database = "kura";
  o.from_date = "2025-02-30";
  EXPECT_EQ(AthenaDdl(o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::logs
