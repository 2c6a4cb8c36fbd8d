// persistence_test runs the backend-parameterized tests on SQLite.
#include "test_support.hpp"

namespace galfriday::persistence::test_support {

std::vector<Backend> backends_under_test() { return {sqlite_backend()}; }

}  // namespace galfriday::persistence::test_support
