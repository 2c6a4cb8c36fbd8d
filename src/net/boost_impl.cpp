// The compiled (non-template) parts of Boost.Asio, Asio's SSL layer and Boost.Beast, built once
// here. Every target that links gf_net is compiled with BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION (src/CMakeLists.txt), so the sources that use Asio or Beast
// (src/net, src/feed, their tests) no longer compile these functions each: about 15 s of CPU
// less for src/feed/ws_client.cpp alone at -O2.

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
