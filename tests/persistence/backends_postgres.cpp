// persistence_postgres_test runs the backend-parameterized tests on PostgreSQL.
#include "test_support.hpp"

namespace galfriday::persistence::test_support {

std::vector<Backend> backends_under_test() { return {postgres_backend()}; }

}  // namespace galfriday::persistence::test_support
