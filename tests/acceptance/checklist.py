"""The deployment checklist's own statements, quoted verbatim so a reader can compare.

Source: the product's "Feature Flag Deployment Checklist" (2025-11-03). Only
YOUR_INTERNAL_CUSTOMER_ID and YOUR_DOMAIN are placeholders there; the tests substitute them.
"""

# Step 1: Database Migration — Verification
STEP1_TABLES_SQL = """\
SELECT table_name
FROM information_schema.tables
WHERE table_schema = 'public'
  AND table_name LIKE '%feature%'
ORDER BY table_name;
"""
STEP1_EXPECTED_TABLES = [
    "customer_feature_flags",
    "feature_flag_changes",
    "feature_rollouts",
    "organization_feature_flags",
    "rollout_events",
]

# Post-Deployment Verification — Database Tests
RLS_POLICIES_SQL = """\
SELECT tablename, policyname
FROM pg_policies
WHERE tablename LIKE '%feature%'
ORDER BY tablename, policyname;
"""
INDEXES_SQL = """\
SELECT tablename, indexname
FROM pg_indexes
WHERE tablename LIKE '%feature%'
ORDER BY tablename, indexname;
"""

# Step 4: Initialize Rollout Configurations — the six createRollout calls, as JSON bodies
INTERNAL_CUSTOMER_PLACEHOLDER = "YOUR_INTERNAL_CUSTOMER_ID"
STEP4_CREATE_ROLLOUTS = [
    {
        "featureName": "phase2_enhanced_storage",
        "whitelistedCustomers": ["YOUR_INTERNAL_CUSTOMER_ID"],
        "rollbackThreshold": {
            "errorRate": 0.05,
            "timeWindow": 3600000,
        },
    },
    {"featureName": "phase2_connection_monitoring", "whitelistedCustomers": ["YOUR_INTERNAL_CUSTOMER_ID"]},
    {"featureName": "phase2_retry_logic", "whitelistedCustomers": ["YOUR_INTERNAL_CUSTOMER_ID"]},
    {"featureName": "phase3_tab_sync", "whitelistedCustomers": ["YOUR_INTERNAL_CUSTOMER_ID"]},
    {"featureName": "phase3_performance_mode", "whitelistedCustomers": ["YOUR_INTERNAL_CUSTOMER_ID"]},
    {"featureName": "phase3_analytics", "whitelistedCustomers": ["YOUR_INTERNAL_CUSTOMER_ID"]},
]

# Step 4: Verification
STEP4_ROLLOUTS_SQL = """\
SELECT feature_name, current_tier, percentage, status
FROM feature_rollouts
ORDER BY feature_name;
"""

# Step 5: Verify Phase 1 Enabled — `curl https://YOUR_DOMAIN/api/widget/config`
STEP5_WIDGET_PATH = "/api/widget/config"
STEP5_EXPECTED_PHASE1 = {
    "parentStorage": True,
    "crossDomainMessaging": True,
    "autoRestore": True,
}

# Emergency Procedures — 2. Via API
EMERGENCY_API_PATH = "/api/admin/rollout/rollback"
EMERGENCY_API_BODY = {
    "featureName": "phase2_enhanced_storage",
    "reason": "Critical bug: [describe issue]",
}

# Emergency Procedures — 3. Via Database (Emergency)
EMERGENCY_SQL = """\
UPDATE feature_rollouts
SET
  current_tier = 'tier_0_disabled',
  percentage = 0,
  status = 'rolled_back'
WHERE feature_name = 'phase2_enhanced_storage';
"""
